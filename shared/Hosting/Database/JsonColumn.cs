using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace RunMesh.Hosting.Database;

/// <summary>
/// Maps a property holding an object graph (a run's phases, its definition…) to a <c>jsonb</c> column. Two kinds:
/// <list type="bullet">
/// <item><see cref="HasJsonConversion{T}"/> for a graph the code mutates in place (phases, outputs): changes are
/// detected by comparing serialized snapshots (UTF-8 bytes);</item>
/// <item><see cref="HasImmutableJsonConversion{T}"/> for a value that is only ever replaced, never changed in place
/// (e.g. a run's definition, its labels): compared by reference, so loading, change detection and saving a run do
/// not serialize it again and again. The definition carries every phase's schema and settings and was the largest
/// share of the JSON work of a saga pass.</item>
/// </list>
/// </summary>
public static class JsonColumn
{
    /// <summary>camelCase with the contracts' string enums: the same JSON the API and the bus show.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static PropertyBuilder<T> HasJsonConversion<T>(this PropertyBuilder<T> property)
    {
        var comparer = new ValueComparer<T>(
            (left, right) => SameJson(left, right),
            value => HashOf(value),
            value => Copy(value));
        return property
            .HasConversion(value => Serialize(value), json => Deserialize<T>(json), comparer)
            .HasColumnType("jsonb");
    }

    public static PropertyBuilder<T> HasImmutableJsonConversion<T>(this PropertyBuilder<T> property)
        where T : class
    {
        var comparer = new ValueComparer<T>(
            (left, right) => ReferenceEquals(left, right),
            value => value == null ? 0 : RuntimeHelpers.GetHashCode(value),
            value => value);
        return property
            .HasConversion(value => Serialize(value), json => Deserialize<T>(json), comparer)
            .HasColumnType("jsonb");
    }

    private static bool SameJson<T>(T left, T right) =>
        JsonSerializer.SerializeToUtf8Bytes(left, Options).AsSpan().SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(right, Options));

    private static int HashOf<T>(T value)
    {
        var hash = new HashCode();
        hash.AddBytes(JsonSerializer.SerializeToUtf8Bytes(value, Options));
        return hash.ToHashCode();
    }

    private static T Copy<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.SerializeToUtf8Bytes(value, Options), Options)!;

    private static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    private static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)!;
}
