namespace RunMesh.Benchmarks.Outbox;

/// <summary>What the consumer does with the database.</summary>
internal enum StoreMode
{
    /// <summary>The row update inside the Postgres inbox/outbox transaction (<c>UsePostgresOutbox</c>).</summary>
    Outbox,

    /// <summary>The same row update in the consumer's own EF Core transaction; publishes go straight to the broker.</summary>
    Plain,

    /// <summary>No database at all: the broker and MassTransit alone.</summary>
    NoDatabase,
}

internal static class StoreModes
{
    public static readonly IReadOnlyList<string> Names = ["outbox", "plain", "nodb"];

    public static StoreMode Parse(string name) => name switch
    {
        "outbox" => StoreMode.Outbox,
        "plain" => StoreMode.Plain,
        "nodb" => StoreMode.NoDatabase,
        _ => throw new ArgumentException($"Unknown mode '{name}'."),
    };

    public static string Name(this StoreMode mode) => mode switch
    {
        StoreMode.Outbox => "outbox",
        StoreMode.Plain => "plain",
        _ => "nodb",
    };
}
