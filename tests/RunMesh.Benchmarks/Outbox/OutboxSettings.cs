namespace RunMesh.Benchmarks.Outbox;

/// <summary>The flags of <c>outbox</c>.</summary>
internal sealed record OutboxSettings(
    int Messages,
    int Warmup,
    IReadOnlyList<int> InFlight,
    IReadOnlyList<bool> Publish,
    IReadOnlyList<StoreMode> Modes,
    bool BusOutbox,
    string? Out)
{
    public static OutboxSettings From(BenchmarkArguments arguments)
    {
        arguments.RejectUnknown("messages", "warmup", "in-flight", "publish", "modes", "bus-outbox", "out");
        var publish = arguments.Words("publish", ["both"], ["both", "on", "off"]).Single() switch
        {
            "on" => new[] { true },
            "off" => [false],
            _ => [false, true],
        };
        return new OutboxSettings(
            arguments.Integer("messages", 2000),
            arguments.Integer("warmup", 200),
            arguments.Integers("in-flight", [1, 8, 32]),
            publish,
            arguments.Words("modes", StoreModes.Names, StoreModes.Names).Select(StoreModes.Parse).ToList(),
            arguments.Words("bus-outbox", ["on"], ["on", "off"]).Single() == "on",
            arguments.Text("out"));
    }
}

/// <summary>One measured cell: a mode, whether the consumer publishes, and the messages in flight.</summary>
internal sealed record OutboxCell(StoreMode Mode, bool Publish, int InFlight)
{
    public override string ToString() => $"{Mode.Name(),-6} {(Publish ? "+publish" : "no publish"),-10} in flight {InFlight,2}";
}
