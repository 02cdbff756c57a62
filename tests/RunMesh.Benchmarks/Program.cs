using RunMesh.Benchmarks;
using RunMesh.Benchmarks.Cli;
using RunMesh.Benchmarks.FanOut;
using RunMesh.Benchmarks.Gateway;
using RunMesh.Benchmarks.Outbox;
using RunMesh.Benchmarks.Runs;
using RunMesh.Benchmarks.Studies;

var arguments = BenchmarkArguments.Parse(args);
if (arguments is null || arguments.Command is not ("outbox" or "gateway" or "runs" or "fanout" or "study" or "cli"))
{
    Console.Error.WriteLine(BenchmarkArguments.Usage);
    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    return arguments.Command switch
    {
        "outbox" => await OutboxBenchmark.RunAsync(OutboxSettings.From(arguments), cancellation.Token),
        "gateway" => await GatewayBenchmark.RunAsync(GatewaySettings.From(arguments), cancellation.Token),
        "fanout" => await FanOutBenchmark.RunAsync(FanOutSettings.From(arguments), cancellation.Token),
        "study" => await StudyBenchmark.RunAsync(StudySettings.From(arguments), cancellation.Token),
        "cli" => await CliStartupBenchmark.RunAsync(CliStartupSettings.From(arguments), cancellation.Token),
        _ => await RunsBenchmark.RunAsync(RunsSettings.From(arguments), cancellation.Token),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchmarkArguments.Usage);
    return 2;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled.");
    return 130;
}
