using System.Globalization;
using System.Text;
using RunMesh.Benchmarks.Reporting;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Benchmarks.Outbox;

/// <summary>
/// The inbox/outbox's cost: messages per second through a consumer that updates a row, behind the Postgres
/// inbox/outbox, in a plain transaction, and with no database, at each number of messages in flight — the three
/// modes of one in-flight value run one after another, so they share the machine's conditions.
/// </summary>
internal static class OutboxBenchmark
{
    /// <summary>The target: the inbox/outbox keeps at least this share of the plain transaction's rate.</summary>
    public const double TargetOutboxShare = 0.6;

    public static async Task<int> RunAsync(OutboxSettings settings, CancellationToken cancellationToken)
    {
        var servers = await TestServers.GetAsync();
        var machine = MachineInfo.Now();
        Console.WriteLine($"outbox benchmark: {settings.Messages} messages per cell after {settings.Warmup} warm-up, servers from {servers.Source}");
        Console.WriteLine($"machine: {machine}");

        // The first cell of a process would otherwise pay for tiered JIT compilation of the code paths it is the
        // first to run (EF Core, Npgsql, the outbox), while later cells find them compiled: one unmeasured cell per
        // mode first, so every measured cell runs warm code.
        Console.WriteLine("priming: one unmeasured cell per mode, so no measured cell pays for JIT compilation");
        var priming = settings with { Messages = Math.Max(settings.Warmup, 500) };
        foreach (var mode in settings.Modes)
        {
            await OutboxCellRunner.RunAsync(servers, new OutboxCell(mode, settings.Publish.Contains(true), 8), priming, cancellationToken, report: false);
        }

        var results = new List<OutboxCellResult>();
        var cells = settings.Publish
            .SelectMany(publish => settings.InFlight.SelectMany(inFlight => settings.Modes.Select(mode => new OutboxCell(mode, publish, inFlight))))
            .ToList();
        for (var i = 0; i < cells.Count; i++)
        {
            Console.WriteLine($"[{i + 1}/{cells.Count}] {cells[i]}");
            var result = await OutboxCellRunner.RunAsync(servers, cells[i], settings, cancellationToken);
            Console.WriteLine(
                $"    → {result.MessagesPerSecond:F0} msgs/s, {result.DatabaseRoundTripsPerMessage:F2} db round trips and " +
                $"{result.TransactionsPerMessage:F2} commits per message ({result.DatabaseMillisecondsPerMessage:F2} ms waiting for the database), " +
                $"{result.ClientCpuMillisecondsPerMessage:F2} ms of this process's CPU, " +
                $"{result.DeliveredDistinct} delivered downstream");
            results.Add(result);
        }

        BusOutboxDrainResult? drain = null;
        if (settings.BusOutbox)
        {
            Console.WriteLine($"bus outbox: {settings.Messages} outboxes of one message, stored with the delivery service off, then drained by it");
            drain = await BusOutboxDrain.RunAsync(servers, settings.Messages, cancellationToken);
        }

        var rows = Rows(results);
        Console.WriteLine();
        Console.WriteLine(Table(rows));
        if (drain is not null)
        {
            Console.WriteLine(
                $"bus outbox delivery service: {drain.DeliveredPerSecond:F0} outboxes/s delivered ({drain.DatabaseRoundTripsPerOutbox:F2} db round trips each; " +
                $"stored by 8 writers at {drain.StoredPerSecond:F0}/s); {drain.DeliveredDistinct} delivered, {drain.DeliveredCopies - drain.DeliveredDistinct} copies, {drain.OutboxesLeft} left");
        }

        var finished = MachineInfo.LoadAverageNow();
        Console.WriteLine($"load average at the end: {finished}");

        await ResultsFile.WriteAsync(settings.Out, new
        {
            benchmark = "outbox",
            startedOn = machine,
            loadAverageAtEnd = finished,
            settings = new { settings.Messages, settings.Warmup, settings.InFlight, publish = settings.Publish, modes = settings.Modes.Select(m => m.Name()) },
            cells = results,
            summary = rows,
            busOutbox = drain,
        });
        return 0;
    }

    private static List<OutboxSummaryRow> Rows(IReadOnlyList<OutboxCellResult> results) =>
        results
            .GroupBy(r => (r.Publish, r.InFlight))
            .Select(g =>
            {
                double? Rate(string mode) => g.FirstOrDefault(r => r.Mode == mode)?.MessagesPerSecond;
                double? RoundTrips(string mode) => g.FirstOrDefault(r => r.Mode == mode)?.DatabaseRoundTripsPerMessage;
                double? Cpu(string mode) => g.FirstOrDefault(r => r.Mode == mode)?.ClientCpuMillisecondsPerMessage;
                var (outbox, plain, nodb) = (Rate("outbox"), Rate("plain"), Rate("nodb"));
                return new OutboxSummaryRow(
                    g.Key.Publish, g.Key.InFlight, nodb, plain, outbox,
                    outbox / plain is { } share ? Math.Round(share, 3) : null,
                    plain / nodb is { } cost ? Math.Round(cost, 3) : null,
                    RoundTrips("plain"), RoundTrips("outbox"),
                    Cpu("nodb"), Cpu("plain"), Cpu("outbox"),
                    g.FirstOrDefault(r => r.Mode == "outbox")?.DeliveredDistinct);
            })
            .ToList();

    private static string Table(IReadOnlyList<OutboxSummaryRow> rows)
    {
        static string Rate(double? value) => value is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "-";
        static string Share(double? value) => value is { } v ? v.ToString("P0", CultureInfo.InvariantCulture) : "-";
        static string Number(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "-";

        var table = new StringBuilder();
        table.AppendLine("| publish | in flight | nodb msgs/s | plain msgs/s | outbox msgs/s | outbox/plain | plain/nodb | db round trips/msg plain | outbox | client CPU ms/msg nodb | plain | outbox | outbox delivered |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var mark = row.OutboxShareOfPlain is { } share && share < TargetOutboxShare ? " ✗" : "";
            table.AppendLine(
                $"| {(row.Publish ? "yes" : "no")} | {row.InFlight} | {Rate(row.NoDatabase)} | {Rate(row.Plain)} | {Rate(row.Outbox)} | " +
                $"{Share(row.OutboxShareOfPlain)}{mark} | {Share(row.PlainShareOfNoDatabase)} | {Number(row.PlainRoundTrips)} | " +
                $"{Number(row.OutboxRoundTrips)} | {Number(row.NoDatabaseClientCpu)} | {Number(row.PlainClientCpu)} | {Number(row.OutboxClientCpu)} | " +
                $"{row.OutboxDelivered?.ToString(CultureInfo.InvariantCulture) ?? "-"} |");
        }

        table.Append(CultureInfo.InvariantCulture, $"target: outbox/plain ≥ {TargetOutboxShare:P0} (✗ marks a miss)");
        return table.ToString();
    }
}

/// <summary>One in-flight value's three rates side by side, and their ratios.</summary>
internal sealed record OutboxSummaryRow(
    bool Publish,
    int InFlight,
    double? NoDatabase,
    double? Plain,
    double? Outbox,
    double? OutboxShareOfPlain,
    double? PlainShareOfNoDatabase,
    double? PlainRoundTrips,
    double? OutboxRoundTrips,
    double? NoDatabaseClientCpu,
    double? PlainClientCpu,
    double? OutboxClientCpu,
    int? OutboxDelivered);
