using System.Text.RegularExpressions;

namespace RunMesh.Cli.Tests.Mesh;

/// <summary>The live views on a real pseudo-terminal: redrawn tables and progress bars, and a gate decided at the prompt.</summary>
[Collection(SharedCliMesh.Name)]
public sealed partial class LiveViewTests(CliFixture fixture)
{
    [Fact]
    public async Task Start_with_watch_on_a_terminal_redraws_a_table_of_phases_and_approve_passes_the_gate()
    {
        var directory = await fixture.EnvDirectoryAsync();
        using var terminal = CliTerminal.Start(
            ["runs", "start", CliFixture.Gated, "--input", CliAgainstMeshTests.Feature(), "--watch", "--approve"], directory);

        var (exitCode, screen) = await terminal.WaitForExitAsync();

        var plain = CliTerminal.Plain(screen);
        exitCode.ShouldBe(0, plain);
        CliTerminal.Redraws(screen).ShouldBeGreaterThan(1, "the table is redrawn in place");
        var runId = RunLine().Match(plain).Groups[1].Value;
        var last = CliTerminal.LastFrame(screen);
        last.ShouldMatch(@"│ draft\s+│ completed\s+│ 1\s+│");
        last.ShouldMatch(@"│ publish\s+│ completed\s+│ 1\s+│");
        last.ShouldContain("sign-off: approve");
        last.ShouldContain($"run {runId}: completed");
        plain.TrimEnd().ShouldEndWith($"run {runId} completed");
    }

    [Fact]
    public async Task Watching_a_gated_run_on_a_terminal_asks_for_the_decision_and_enter_approves()
    {
        var directory = await fixture.EnvDirectoryAsync();
        var runId = await fixture.Mesh.StartRunAsync(CliFixture.Gated);
        using var terminal = CliTerminal.Start(["runs", "watch", runId.ToString()], directory);

        await terminal.WaitForTextAsync("decide later (keep watching)");
        terminal.Type("\r");
        var (exitCode, screen) = await terminal.WaitForExitAsync();

        var plain = CliTerminal.Plain(screen);
        exitCode.ShouldBe(0, plain);
        plain.ShouldContain("Decide gate sign-off of phase draft:");
        plain.ShouldMatch(@"request [0-9a-f-]{36}: approve by test-approver");
        var last = CliTerminal.LastFrame(screen);
        last.ShouldMatch(@"│ draft\s+│ completed\s+│ 1\s+│");
        last.ShouldMatch(@"│ publish\s+│ completed\s+│ 1\s+│");
        plain.TrimEnd().ShouldEndWith($"run {runId} completed");
    }

    [Fact]
    public async Task Watching_a_study_on_a_terminal_draws_a_progress_bar_with_counts_rate_and_eta()
    {
        var file = await StudyCommandTests.StudyFileAsync();
        var start = await CliProcess.RunAsync(["studies", "start", file, .. fixture.As("submitter")]);
        var studyId = StudyCommandTests.StudyIdOf(start.Stdout.ShouldHaveSingleItem(start.ToString()));
        using var terminal = CliTerminal.Start(["studies", "watch", studyId, .. fixture.As("viewer")]);

        var (exitCode, screen) = await terminal.WaitForExitAsync();

        var plain = CliTerminal.Plain(screen);
        exitCode.ShouldBe(0, plain);
        CliTerminal.Redraws(screen).ShouldBeGreaterThan(0, "the bar is redrawn in place");
        plain.ShouldContain("━", customMessage: "a bar is drawn");
        var last = CliTerminal.LastFrame(screen);
        last.ShouldContain("4/4 ended: 4 completed, 0 failed, 0 running");
        last.ShouldContain("100%");
        last.ShouldMatch(@"\d+\.\d runs/s, ETA ");
        plain.TrimEnd().ShouldEndWith("ETA -");
        plain.ShouldContain($"study {studyId} completed: 4/4 ended: 4 completed, 0 failed, 0 running;");
    }

    [GeneratedRegex(@"run ([0-9a-f-]{36}) ")]
    private static partial Regex RunLine();
}
