using System.Diagnostics;
using System.Globalization;

namespace RunMesh.Reliability.Tests.Invariants;

/// <summary>
/// The closing numbers of each fault test and of the suite so far: runs submitted / completed / failed as expected /
/// lost, duplicates applied and dropped, executions, faults injected, bad inputs tried. Printed to the test's output
/// and appended to <c>TestResults/reliability-summary.txt</c> (repository root) so they can be read after the run;
/// the suite's totals are appended once more when the test process exits.
/// </summary>
public static class ReliabilitySummary
{
    private static readonly Lock s_gate = new();
    private static readonly Totals s_suite = new();
    private static readonly Stopwatch s_clock = Stopwatch.StartNew();
    private static bool s_exitHooked;

    /// <summary>The file the summaries are appended to.</summary>
    public static string FilePath => Path.Combine(RepositoryPaths.Root, "TestResults", "reliability-summary.txt");

    /// <summary>Prints and records the summary of one test.</summary>
    public static void Record(
        ITestOutputHelper output, string test, InvariantReport? report = null, int faultsInjected = 0, int badInputs = 0,
        TimeSpan? duration = null, string? extra = null)
    {
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:HH:mm:ss} [{Load.ReliabilityProfile.Current.Name}] {test}: submitted {report?.Submitted ?? 0}, completed {report?.Completed ?? 0}, " +
            $"failed as expected {report?.FailedAsExpected ?? 0}, lost {report?.Lost ?? 0}, duplicates applied {report?.DuplicatesApplied ?? 0}, " +
            $"duplicates dropped by inboxes {report?.DuplicatesDropped ?? 0}, executions {report?.Executions ?? 0} for {report?.AppliedResults ?? 0} applied results, " +
            $"decisions {report?.AppliedDecisions ?? 0}, allowed error-queue messages {report?.AllowedErrorMessages ?? 0}, faults injected {faultsInjected}, " +
            $"bad inputs tried {badInputs}, violations {report?.Violations.Count ?? 0}, {duration?.TotalSeconds ?? 0:0.0} s{(extra is null ? "" : $"; {extra}")}");

        string suite;
        lock (s_gate)
        {
            s_suite.Add(report, faultsInjected, badInputs);
            suite = s_suite.Describe(s_clock.Elapsed);
            if (!s_exitHooked)
            {
                s_exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Append($"{DateTimeOffset.UtcNow:HH:mm:ss} suite total: {Describe()}");
            }

            Append(line);
        }

        output.WriteLine(line);
        output.WriteLine($"suite so far: {suite}");
    }

    private static string Describe()
    {
        lock (s_gate)
        {
            return s_suite.Describe(s_clock.Elapsed);
        }
    }

    private static void Append(string line)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
            File.AppendAllText(FilePath, line + Environment.NewLine);
        }
        catch (IOException)
        {
            // The summary is also in the test output; a read-only checkout must not fail the suite.
        }
    }

    private sealed class Totals
    {
        private int _tests;
        private int _submitted;
        private int _completed;
        private int _failed;
        private int _lost;
        private int _duplicatesApplied;
        private long _duplicatesDropped;
        private int _faults;
        private int _badInputs;
        private int _violations;

        public void Add(InvariantReport? report, int faults, int badInputs)
        {
            _tests++;
            _faults += faults;
            _badInputs += badInputs;
            if (report is null)
            {
                return;
            }

            _submitted += report.Submitted;
            _completed += report.Completed;
            _failed += report.FailedAsExpected;
            _lost += report.Lost;
            _duplicatesApplied += report.DuplicatesApplied;
            _duplicatesDropped += report.DuplicatesDropped;
            _violations += report.Violations.Count;
        }

        public string Describe(TimeSpan elapsed) => string.Create(
            CultureInfo.InvariantCulture,
            $"{_tests} tests, runs submitted {_submitted}, completed {_completed}, failed as expected {_failed}, lost {_lost}, " +
            $"duplicates applied {_duplicatesApplied}, duplicates dropped by inboxes {_duplicatesDropped}, faults injected {_faults}, " +
            $"bad inputs tried {_badInputs}, violations {_violations}, {elapsed.TotalSeconds:0} s since the first summary's class loaded");
    }
}
