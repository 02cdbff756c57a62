using RunMesh.Contracts;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>
/// An executor failed in a way it understands. The message is reported in <c>PhaseAttemptFailed.Errors</c>, so it
/// must be safe to show to a run's readers: what failed, never a stack trace, a secret or a response body verbatim.
/// </summary>
internal sealed class ExecutorException : Exception
{
    public ExecutorException(string message)
        : base(message)
    {
    }

    public ExecutorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ExecutorException()
    {
    }

    /// <summary>What the failed attempt consumed anyway (e.g. a model that answered with something other than JSON).</summary>
    public Usage? Usage { get; init; }
}
