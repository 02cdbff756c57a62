using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.PhaseWorker.Executors;
using RunMesh.Schemas;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// Runs one attempt of a phase: picks the executor, enforces <c>TimeoutSeconds</c>, honours <c>CancelPhase</c>,
/// checks the artifact's size and validates it against the phase's schema, and says what to publish. No retries here:
/// retries are the saga's (docs/run-lifecycle.md), so every failure becomes one <see cref="PhaseAttemptFailed"/>.
/// </summary>
internal sealed partial class PhaseExecution(
    PhaseExecutors executors,
    RunningExecutions running,
    ArtifactSchemaCache schemas,
    TimeProvider time,
    IOptions<PhaseWorkerOptions> options,
    ILogger<PhaseExecution> logger)
{
    private const int MaxTimeoutSeconds = 21 * 24 * 3600;

    private readonly string _workerId = options.Value.ResolveWorkerId();

    /// <summary>
    /// Executes <paramref name="command"/>. <paramref name="stopping"/> is the consumer's token: when the worker stops,
    /// the execution is abandoned with an exception so the message is delivered again.
    /// </summary>
    public async Task<ExecutionOutcome> RunAsync(ExecutePhase command, CancellationToken stopping)
    {
        var startedAt = time.GetUtcNow();
        using var execution = running.TryStart(command.ExecutionId);
        if (execution is null)
        {
            LogCancelledBeforeStart(logger, command.ExecutionId, command.RunId);
            return ExecutionOutcome.Cancelled;
        }

        if (!executors.TryGet(command.Executor, out var executor))
        {
            return Failed(command, FailureKind.ExecutorError, startedAt,
                [$"unknown executor '{command.Executor}' (this worker has: {string.Join(", ", executors.Names)})"]);
        }

        var schema = await schemas.LoadAsync(command.ArtifactSchema, stopping);
        if (schema.Schema is null)
        {
            return Failed(command, FailureKind.ExecutorError, startedAt,
                [.. schema.Problems.Select(problem => $"the phase's artifact schema cannot be used: {problem}")]);
        }

        // A timer cannot wait longer than about 24.8 days (int.MaxValue ms): longer timeouts are capped at 21 days.
        var timeout = TimeSpan.FromSeconds(Math.Min(
            command.TimeoutSeconds > 0 ? command.TimeoutSeconds : options.Value.DefaultTimeoutSeconds,
            MaxTimeoutSeconds));
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(execution.Token, timeoutSource.Token, stopping);

        LogExecuting(logger, command.ExecutionId, command.RunId, command.PhaseKey, command.Attempt, executor.Name);
        ExecutorResult result;
        try
        {
            result = await executor.ExecuteAsync(command, linked.Token);
        }
        catch (OperationCanceledException) when (execution.IsCancelled)
        {
            LogCancelled(logger, command.ExecutionId, command.RunId);
            return ExecutionOutcome.Cancelled;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw; // the worker is stopping: the message goes back to the queue
        }
        catch (OperationCanceledException) when (timeoutSource.IsCancellationRequested)
        {
            return Failed(command, FailureKind.Timeout, startedAt,
                [string.Create(CultureInfo.InvariantCulture, $"the {executor.Name} executor did not finish within {timeout.TotalSeconds:0} s (timeoutSeconds)")]);
        }
        catch (ExecutorException ex)
        {
            LogExecutorError(logger, command.ExecutionId, ex.Message);
            return Failed(command, FailureKind.ExecutorError, startedAt, [ex.Message], usage: ex.Usage);
        }
        catch (Exception ex)
        {
            // The details stay in this worker's log; the result says only what kind of failure it was.
            LogUnexpected(logger, ex, command.ExecutionId, executor.Name);
            return Failed(command, FailureKind.ExecutorError, startedAt, [$"the {executor.Name} executor failed unexpectedly ({ex.GetType().Name})"]);
        }

        if (execution.IsCancelled)
        {
            LogCancelled(logger, command.ExecutionId, command.RunId);
            return ExecutionOutcome.Cancelled;
        }

        try
        {
            return Validate(command, schema.Schema, result, startedAt);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogValidationFailed(logger, ex, command.ExecutionId);
            return Failed(command, FailureKind.ExecutorError, startedAt, [$"the artifact could not be validated ({ex.GetType().Name})"], usage: result.Usage);
        }
    }

    private ExecutionOutcome Validate(ExecutePhase command, CompiledSchema schema, ExecutorResult result, DateTimeOffset startedAt)
    {
        if (result.Artifact is not { } artifact)
        {
            // PhaseSucceeded needs an artifact; JSON null is never one, whatever the schema says.
            return Failed(command, FailureKind.InvalidArtifact, startedAt, ["#: the executor produced no artifact (JSON null)"], usage: result.Usage);
        }

        byte[] canonical;
        try
        {
            canonical = CanonicalJson.Serialize(artifact);
        }
        catch (CanonicalJsonException ex)
        {
            return Failed(command, FailureKind.InvalidArtifact, startedAt, [$"#: the artifact is not canonical JSON ({ex.Message})"], usage: result.Usage);
        }

        var limit = options.Value.MaxArtifactBytes;
        if (canonical.Length > limit)
        {
            // Not kept: an oversized artifact would make an oversized message.
            return Failed(command, FailureKind.InvalidArtifact, startedAt,
                [$"#: the artifact is {canonical.Length} bytes of canonical JSON, over the limit of {limit} bytes"], usage: result.Usage);
        }

        var errors = schema.Validate(artifact);
        if (errors.Count > 0)
        {
            return Failed(command, FailureKind.InvalidArtifact, startedAt, errors, artifact, result.Usage);
        }

        return ExecutionOutcome.Success(new PhaseSucceeded
        {
            RunId = command.RunId,
            PhaseKey = command.PhaseKey,
            Attempt = command.Attempt,
            ExecutionId = command.ExecutionId,
            Artifact = artifact,
            // = Digest.Of(artifact): the digest of the canonical bytes already made for the size check.
            ArtifactDigest = Digest.Sha256(canonical),
            Usage = result.Usage,
            StartedAt = startedAt,
            EndedAt = time.GetUtcNow(),
            WorkerId = _workerId,
        });
    }

    private ExecutionOutcome Failed(
        ExecutePhase command,
        FailureKind kind,
        DateTimeOffset startedAt,
        IReadOnlyList<string> errors,
        JsonNode? artifact = null,
        Usage? usage = null) =>
        ExecutionOutcome.Failure(new PhaseAttemptFailed
        {
            RunId = command.RunId,
            PhaseKey = command.PhaseKey,
            Attempt = command.Attempt,
            ExecutionId = command.ExecutionId,
            Kind = kind,
            Errors = errors,
            Artifact = artifact,
            Usage = usage ?? new Usage(),
            StartedAt = startedAt,
            EndedAt = time.GetUtcNow(),
            WorkerId = _workerId,
        });

    [LoggerMessage(Level = LogLevel.Information, Message = "Executing {ExecutionId} (run {RunId}, phase {PhaseKey}, attempt {Attempt}) with {Executor}")]
    private static partial void LogExecuting(ILogger logger, Guid executionId, Guid runId, string phaseKey, int attempt, string executor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {ExecutionId} of run {RunId} cancelled by CancelPhase; no result is published")]
    private static partial void LogCancelled(ILogger logger, Guid executionId, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Execution {ExecutionId} of run {RunId} was cancelled before it started; not executed")]
    private static partial void LogCancelledBeforeStart(ILogger logger, Guid executionId, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId}: executor error: {Error}")]
    private static partial void LogExecutorError(ILogger logger, Guid executionId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId}: the {Executor} executor failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, Guid executionId, string executor);

    [LoggerMessage(Level = LogLevel.Error, Message = "Execution {ExecutionId}: the artifact could not be validated")]
    private static partial void LogValidationFailed(ILogger logger, Exception exception, Guid executionId);
}
