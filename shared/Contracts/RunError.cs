namespace RunMesh.Contracts;

/// <summary>
/// Why a run did not complete.
/// </summary>
public sealed record RunError
{
    /// <summary>A stable failure code, one of <see cref="ErrorCodes"/> (e.g. <c>artifact_invalid_after_repair</c>).</summary>
    public required string Code { get; init; }

    /// <summary>A readable explanation for people; clients should branch on <see cref="Code"/>, not on this text.</summary>
    public required string Message { get; init; }

    /// <summary>The key of the phase the failure belongs to. <see langword="null"/> (the default) for run-level failures such as <c>run_timeout</c>.</summary>
    public string? PhaseKey { get; init; }
}
