namespace RunMesh.Benchmarks.Outbox;

/// <summary>The measured message: add one hit to counter row <see cref="Row"/>.</summary>
public sealed record UpdateRow
{
    public required string Batch { get; init; }

    public required int Row { get; init; }
}
