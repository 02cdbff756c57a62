using System.Reflection;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Architecture.Tests;

/// <summary>
/// docs/events.md is the reference of the run event log: every type of <see cref="RunEventTypes"/> has a heading and
/// exactly one example there, and each example's payload has the fields of the table above it (no field the table
/// does not list; every listed field unless its row says it may be absent). The end-to-end docs test holds the same
/// tables to the events real runs write.
/// </summary>
public sealed class EventsDocumentTests
{
    private static readonly Lazy<EventsReference> s_reference = new(EventsReference.Load);

    public static TheoryData<string> EventTypes() => [.. AllTypes()];

    private static IEnumerable<string> AllTypes() =>
        typeof(RunEventTypes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void Every_event_type_has_a_heading_and_one_example(string type)
    {
        var reference = s_reference.Value;

        reference.Headings.ShouldContain(type, $"{EventsReference.RelativePath} has no heading naming `{type}`");
        reference.Examples.Count(e => e.Type == type).ShouldBe(1, $"{EventsReference.RelativePath} should have exactly one example of `{type}`");
    }

    [Theory]
    [MemberData(nameof(EventTypes))]
    public void Every_example_has_the_envelope_and_the_fields_of_its_table(string type)
    {
        var example = s_reference.Value.Examples.SingleOrDefault(e => e.Type == type);
        example.ShouldNotBeNull($"{EventsReference.RelativePath} has no example of `{type}`");

        example.Envelope.Select(p => p.Key).ShouldBe(["seq", "type", "at", "payload"], ignoreOrder: false, $"the envelope of the `{type}` example");
        example.Envelope["payload"].ShouldBeOfType<JsonObject>($"the payload of the `{type}` example");
        s_reference.Value.ProblemsWith(example.Envelope).ShouldBeEmpty();
    }

    [Fact]
    public void Every_example_is_of_a_known_type()
    {
        var known = AllTypes().ToHashSet();

        s_reference.Value.Examples.Select(e => e.Type).Where(t => !known.Contains(t)).ShouldBeEmpty();
    }
}
