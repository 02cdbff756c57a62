using RunMesh.Contracts;
using RunMesh.Hashing;

namespace RunMesh.PhaseWorker.Executors.Mock;

/// <summary>
/// The deterministic executor for tests, demos and benchmarks: it never answers the first <c>hangAttempts</c> attempts
/// (they wait until the timeout or a cancel stops them, as a stuck model would); after <c>latencyMs</c> it fails the first
/// <c>failAttempts</c> attempts, answers a schema-invalid artifact on the first <c>invalidAttempts</c> attempts, and
/// otherwise an artifact generated from the schema, the instructions, the <c>seed</c> setting and the run's
/// <c>model.seed</c>. Its usage is deterministic
/// too: a token per four characters of the instructions (input) and of the artifact's canonical JSON (output).
/// </summary>
internal sealed class MockExecutor(PriceTable prices, TimeProvider time) : IPhaseExecutor
{
    /// <summary>The executor's name in templates.</summary>
    public const string ExecutorName = "mock";

    /// <inheritdoc />
    public string Name => ExecutorName;

    /// <inheritdoc />
    public async Task<ExecutorResult> ExecuteAsync(ExecutePhase command, CancellationToken cancellationToken)
    {
        var settings = MockSettings.Parse(command.ExecutorSettings);
        var modelSeed = ModelSeed.Read(command.Model);
        if (settings.LatencyMs > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(settings.LatencyMs), time, cancellationToken);
        }

        if (command.Attempt <= settings.HangAttempts)
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
        }

        if (command.Attempt <= settings.FailAttempts)
        {
            throw new ExecutorException($"mock: simulated executor failure on attempt {command.Attempt} (failAttempts: {settings.FailAttempts})");
        }

        var artifact = MockArtifactGenerator.Generate(command.ArtifactSchema, command.Instructions, settings.Seed, modelSeed);
        if (command.Attempt <= settings.InvalidAttempts)
        {
            artifact = MockArtifactGenerator.Invalidate(artifact, command.ArtifactSchema);
        }

        var usage = prices.For(
            PhaseWorkerOptions.MockModel,
            PriceTable.EstimateTokens(command.Instructions.Length),
            PriceTable.EstimateTokens(CanonicalJson.SerializeToString(artifact).Length));
        return new ExecutorResult(artifact, usage);
    }
}
