namespace RunMesh.Hosting.Diagnostics;

/// <summary>
/// A diagnostic request one service sends to another over the bus to prove the wiring (and trace
/// propagation) between two processes. Not part of the domain contracts: it lives with the hosting defaults.
/// </summary>
public sealed record MeshPing
{
    /// <summary>The asking service.</summary>
    public required string From { get; init; }
}

/// <summary>The answer to <see cref="MeshPing"/>: who answered, from which process, in which trace.</summary>
public sealed record MeshPong
{
    /// <summary>The answering service.</summary>
    public required string Service { get; init; }

    /// <summary>The answering process id.</summary>
    public required int ProcessId { get; init; }

    /// <summary>The W3C trace id the consumer saw; equal to the asker's when propagation works.</summary>
    public string? TraceId { get; init; }
}
