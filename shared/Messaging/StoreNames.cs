using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace RunMesh.Messaging;

/// <summary>
/// Table and column names as the EF model maps them (snake_case, schema, custom names), quoted for raw SQL.
/// Statements are cached per DbContext type, not globally, so two DbContexts with different schemas never share one
/// (MassTransit #4222/#6152).
/// </summary>
internal static class StoreNames
{
    private static readonly ConcurrentDictionary<(Type DbContext, string Key), string> s_statements = new();

    /// <summary>Builds <paramref name="key"/>'s statement once per DbContext type.</summary>
    public static string Statement(DbContext db, string key, Func<IModel, string> build) =>
        s_statements.GetOrAdd((db.GetType(), key), static (k, state) => state.build(state.model), (build, model: db.Model));

    /// <summary>The quoted, schema-qualified table of <paramref name="entityType"/>.</summary>
    public static string Table(IModel model, Type entityType)
    {
        var entity = Entity(model, entityType);
        var table = entity.GetTableName()
            ?? throw new InvalidOperationException($"{entityType.Name} is not mapped to a table.");
        var schema = entity.GetSchema();
        return schema is null ? Quote(table) : $"{Quote(schema)}.{Quote(table)}";
    }

    /// <summary>The quoted column <paramref name="property"/> of <paramref name="entityType"/> is mapped to.</summary>
    public static string Column(IModel model, Type entityType, string property)
    {
        var entity = Entity(model, entityType);
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var column = entity.FindProperty(property)?.GetColumnName(table)
            ?? throw new InvalidOperationException($"{entityType.Name}.{property} is not mapped to a column.");
        return Quote(column);
    }

    /// <summary>
    /// True when a property of <paramref name="entityType"/> maps to Postgres' <c>xmin</c> system column, which
    /// <c>SELECT *</c> leaves out and EF needs for its concurrency check.
    /// </summary>
    public static bool MapsXmin(IModel model, Type entityType)
    {
        var entity = Entity(model, entityType);
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        return entity.GetProperties().Any(p => p.GetColumnName(table) == "xmin");
    }

    private static IEntityType Entity(IModel model, Type entityType) =>
        model.FindEntityType(entityType)
        ?? throw new InvalidOperationException(
            $"{entityType.Name} is not part of the DbContext model (call modelBuilder.AddPostgresOutboxEntities() / map the saga).");

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
