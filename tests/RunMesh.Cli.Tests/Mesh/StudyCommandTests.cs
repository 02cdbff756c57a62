using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RunMesh.Cli.Tests.Mesh;

/// <summary><c>studies start|watch|show|results</c> run as processes against the mesh.</summary>
[Collection(SharedCliMesh.Name)]
public sealed partial class StudyCommandTests(CliFixture fixture)
{
    [Fact]
    public async Task A_study_is_started_watched_to_completed_and_its_results_downloaded()
    {
        var file = await StudyFileAsync();

        var start = await CliProcess.RunAsync(["studies", "start", file, .. fixture.As("submitter")]);
        start.ExitCode.ShouldBe(0, start.ToString());
        var studyId = StudyIdOf(start.Stdout.ShouldHaveSingleItem(start.ToString()));
        start.Stdout[0].ShouldEndWith(" running: 4 runs over 2 conditions");

        var watch = await CliProcess.RunAsync(["studies", "watch", studyId, .. fixture.As("viewer")]);
        watch.ExitCode.ShouldBe(0, watch.ToString());
        watch.Output.ShouldNotContain("\u001b");
        var ids = CliAgainstMeshTests.EventLines(watch).ToList();
        ids.ShouldBe(Enumerable.Range(1, ids.Count).Select(i => (long)i).ToList(), watch.ToString());
        watch.Stdout.Count(line => line.Contains(" study.run_finished ", StringComparison.Ordinal)).ShouldBe(4, watch.ToString());
        watch.Stdout[^2].ShouldContain(" study.finished state=completed | 4/4 ended: 4 completed, 0 failed, 0 running;");
        watch.Stdout[^1].ShouldStartWith($"study {studyId} completed: 4/4 ended: 4 completed, 0 failed, 0 running;");

        var csv = await CliProcess.RunAsync(["studies", "results", studyId, "--format", "csv", .. fixture.As("viewer")]);
        csv.ExitCode.ShouldBe(0, csv.ToString());
        csv.Stdout[0].ShouldStartWith("conditionId,inputs.tone,replicate,seed,runId,state,");
        csv.Stdout.Skip(1).Count(line => line.Contains(",completed,", StringComparison.Ordinal)).ShouldBe(4, csv.ToString());
        var ndjson = await CliProcess.RunAsync(["studies", "results", studyId, .. fixture.As("viewer")]);
        ndjson.ExitCode.ShouldBe(0, ndjson.ToString());
        ndjson.Stdout.Select(line => JsonNode.Parse(line)!["state"]!.GetValue<string>()).ShouldBe(["completed", "completed", "completed", "completed"]);
        var parquet = Path.Combine(Path.GetDirectoryName(file)!, "results.parquet");
        var download = await CliProcess.RunAsync(["studies", "results", studyId, "--format", "parquet", "--output", parquet, .. fixture.As("viewer")]);
        download.ExitCode.ShouldBe(0, download.ToString());
        (await File.ReadAllBytesAsync(parquet)).Take(4).ShouldBe("PAR1"u8.ToArray());

        var show = await CliProcess.RunAsync(["studies", "show", studyId, "--json", .. fixture.As("viewer")]);
        var api = await fixture.Mesh.GatewayClient("viewer").GetFromJsonAsync<JsonObject>($"/api/studies/{studyId}");
        JsonNode.DeepEquals(JsonNode.Parse(show.Output), api).ShouldBeTrue(show.ToString());
    }

    [Fact]
    public async Task A_study_with_a_failing_template_ends_failed_and_its_watch_exits_1()
    {
        var file = await StudyFileAsync(CliFixture.Failing);
        var start = await CliProcess.RunAsync(["studies", "start", file, .. fixture.As("submitter")]);
        var studyId = StudyIdOf(start.Stdout.ShouldHaveSingleItem(start.ToString()));

        var watch = await CliProcess.RunAsync(["studies", "watch", studyId, .. fixture.As("viewer")]);

        watch.ExitCode.ShouldBe(1, watch.ToString());
        watch.Stdout[^1].ShouldStartWith($"study {studyId} failed: 4/4 ended: 0 completed, 4 failed");
    }

    /// <summary>A study of <paramref name="template"/> over two tones, two replicates each (4 runs), in a file of its own.</summary>
    internal static async Task<string> StudyFileAsync(string template = CliFixture.Quick)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("runmesh-cli-study-").FullName, "study.yaml");
        await File.WriteAllTextAsync(file, $$"""
            name: cli-study-{{Guid.NewGuid():N}}
            template: {{template}}
            inputs: { feature: "dark mode" }
            factors:
              inputs.tone: [formal, casual]
            replicates: 2
            seed: 7
            parallelism: 2
            """);
        return file;
    }

    internal static string StudyIdOf(string line) => StudyLine().Match(line) is { Success: true } match
        ? match.Groups[1].Value
        : throw new ShouldAssertException($"not a study line: {line}");

    [GeneratedRegex(@"^study ([0-9a-f-]{36}) ")]
    private static partial Regex StudyLine();
}
