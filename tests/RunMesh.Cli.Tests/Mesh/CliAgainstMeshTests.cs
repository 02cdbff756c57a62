using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RunMesh.Cli.Tests.Mesh;

/// <summary>The built <c>runmesh</c> run as a process against a real mesh: watching, exit codes, errors and <c>--json</c>.</summary>
[Collection(SharedCliMesh.Name)]
public sealed partial class CliAgainstMeshTests(CliFixture fixture)
{
    internal static string Feature() => $"feature=f {Guid.NewGuid():N}";

    [Fact]
    public async Task Start_with_watch_prints_every_event_once_in_plain_lines_and_exits_0_when_the_run_completes()
    {
        var result = await CliProcess.RunAsync(["runs", "start", CliFixture.Quick, "--input", Feature(), "--watch", .. fixture.As("submitter")]);

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Output.ShouldNotContain("\u001b", customMessage: "no ANSI codes when stdout is not a terminal");
        var runId = RunIdOf(result.Stdout[0]);
        result.Stdout[^1].ShouldBe($"run {runId} completed");

        var seqs = EventLines(result).ToList();
        var events = await fixture.Mesh.RunEventsAsync(runId);
        var terminal = events.Single(e => e["type"]!.GetValue<string>() == "run.completed")["seq"]!.GetValue<long>();
        seqs.ShouldBe(Enumerable.Range(1, (int)terminal).Select(i => (long)i).ToList(), result.ToString());
        result.Output.ShouldContain("phase.dispatched phase=spec attempt=1");
        result.Output.ShouldContain("phase.succeeded phase=review attempt=1");
    }

    [Fact]
    public async Task Watching_a_run_that_fails_exits_1_and_names_the_error()
    {
        var result = await CliProcess.RunAsync(["runs", "start", CliFixture.Failing, "--input", Feature(), "--watch", .. fixture.As("submitter")]);

        result.ExitCode.ShouldBe(1, result.ToString());
        result.Output.ShouldContain("run.failed");
        result.Stdout[^1].ShouldStartWith($"run {RunIdOf(result.Stdout[0])} failed (");
    }

    [Fact]
    public async Task An_unknown_run_exits_3_with_the_problem()
    {
        var result = await CliProcess.RunAsync(["runs", "show", Guid.NewGuid().ToString(), .. fixture.As("viewer")]);

        result.ExitCode.ShouldBe(3, result.ToString());
        result.Stdout.ShouldBeEmpty();
        result.Stderr.ShouldHaveSingleItem().ShouldContain("(404 run_not_found)");
    }

    [Fact]
    public async Task A_viewer_starting_a_run_exits_4_with_the_403s_detail()
    {
        using var refused = await fixture.Mesh.GatewayClient("viewer").PostAsJsonAsync("/api/runs", MeshRuns.NewRunBody(CliFixture.Quick));
        var detail = (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>();

        var result = await CliProcess.RunAsync(["runs", "start", CliFixture.Quick, "--input", Feature(), .. fixture.As("viewer")]);

        result.ExitCode.ShouldBe(4, result.ToString());
        result.Stderr.ShouldHaveSingleItem().ShouldContain(detail);
        result.Stderr[0].ShouldContain("403 forbidden");
    }

    [Fact]
    public async Task A_mesh_that_does_not_answer_exits_5_with_one_line_naming_the_url()
    {
        int port;
        using (var listener = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        var result = await CliProcess.RunAsync(["runs", "list", "--url", $"http://127.0.0.1:{port}", "--key", "rm_any"]);

        result.ExitCode.ShouldBe(5, result.ToString());
        result.Stderr.ShouldHaveSingleItem().ShouldContain($"http://127.0.0.1:{port}/");
        result.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task Json_output_is_the_apis_document()
    {
        var runId = await fixture.Mesh.StartRunAsync(CliFixture.Quick);
        // Once the report is ready the run's document no longer changes.
        var expected = await Eventually.UntilAsync(
            () => fixture.Mesh.GetRunAsync(runId), run => run["reportUrl"] is not null, TimeSpan.FromSeconds(90), "the run's report");

        var show = await CliProcess.RunAsync(["runs", "show", runId.ToString(), "--json", .. fixture.As("viewer")]);
        show.ExitCode.ShouldBe(0, show.ToString());
        JsonNode.DeepEquals(JsonNode.Parse(show.Output), expected).ShouldBeTrue(show.ToString());

        var templates = await CliProcess.RunAsync(["templates", "list", "--json", .. fixture.As("viewer")]);
        templates.ExitCode.ShouldBe(0, templates.ToString());
        var api = await fixture.Mesh.GatewayClient("viewer").GetFromJsonAsync<JsonObject>("/api/templates");
        JsonNode.DeepEquals(JsonNode.Parse(templates.Output), api).ShouldBeTrue(templates.ToString());
    }

    [Fact]
    public async Task The_env_file_of_the_working_directory_gives_the_url_and_as_picks_the_role()
    {
        var nested = await fixture.EnvDirectoryAsync();

        var viewer = await CliProcess.RunAsync(["approvals", "list", "--as", "viewer"], nested);
        var approver = await CliProcess.RunAsync(["approvals", "list"], nested);

        viewer.ExitCode.ShouldBe(4, viewer.ToString());
        approver.ExitCode.ShouldBe(0, approver.ToString());
        approver.Output.ShouldContain("request");
    }

    [Fact]
    public async Task A_dropped_stream_is_resumed_after_the_last_event_without_repeating_or_missing_one()
    {
        await using var proxy = new TcpProxy("127.0.0.1", fixture.Mesh.Gateway.BaseAddress.Port);
        using var cli = CliProcess.Start(["runs", "start", CliFixture.Steps, "--input", Feature(), "--watch",
            "--url", $"http://127.0.0.1:{proxy.Port}", "--key", fixture.Mesh.ApiKey("submitter")]);

        await cli.WaitForLineAsync(line => line.Contains("phase.dispatched phase=one", StringComparison.Ordinal), "the first dispatch");
        proxy.Cut();
        proxy.Restore();
        var result = await cli.WaitForExitAsync();

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stderr.ShouldContain(line => line.Contains("reconnecting after event", StringComparison.Ordinal), result.ToString());
        var events = await fixture.Mesh.RunEventsAsync(RunIdOf(result.Stdout[0]));
        var terminal = events.Single(e => e["type"]!.GetValue<string>() == "run.completed")["seq"]!.GetValue<long>();
        EventLines(result).ShouldBe(Enumerable.Range(1, (int)terminal).Select(i => (long)i).ToList(), result.ToString());
    }

    internal static Guid RunIdOf(string firstLine) => Guid.Parse(StartLine().Match(firstLine).Groups[1].Value);

    internal static IEnumerable<long> EventLines(CliResult result) =>
        result.Stdout.Select(line => EventLine().Match(line)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^run ([0-9a-f-]{36}) ")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"^#(\d+) ")]
    private static partial Regex EventLine();
}
