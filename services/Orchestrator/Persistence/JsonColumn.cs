using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Orchestrator.Persistence;

/// <summary>
/// Maps a property holding a mutable object graph (a run's phases, its definition…) to a <c>jsonb</c> column. Changes
/// made inside the graph are detected by comparing serialized snapshots, so code can mutate it in place.
/// </summary>
internal static class JsonColumn
{
    /// <summary>camelCase with the contracts' string enums: the same JSON the API and the bus show.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static PropertyBuilder<T> HasJsonConversion<T>(this PropertyBuilder<T> property)
    {
        var comparer = new ValueComparer<T>(
            (left, right) => Serialize(left) == Serialize(right),
            value => Serialize(value).GetHashCode(StringComparison.Ordinal),
            value => Deserialize<T>(Serialize(value)));
        return property
            .HasConversion(value => Serialize(value), json => Deserialize<T>(json), comparer)
            .HasColumnType("jsonb");
    }

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    private static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)!;
}
