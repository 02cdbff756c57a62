namespace RunMesh.Benchmarks.Outbox;

/// <summary>What the consumer publishes downstream, so the outbox's delivery path carries real traffic.</summary>
public sealed record RowUpdated
{
    public required string Batch { get; init; }

    public required int Row { get; init; }
}
