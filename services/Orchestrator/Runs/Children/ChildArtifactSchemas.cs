using System.Collections.Concurrent;
using RunMesh.Orchestrator.Templates;
using RunMesh.Schemas;

namespace RunMesh.Orchestrator.Runs.Children;

/// <summary>
/// The compiled artifact schemas of <c>run</c> phases, which the orchestrator validates itself (a worker validates every
/// other phase's artifact). Compiled once per schema digest; the schemas were checked when their template was registered.
/// </summary>
public sealed class ChildArtifactSchemas
{
    private static readonly IReadOnlyDictionary<string, CompiledSchema> s_none = new Dictionary<string, CompiledSchema>();
    private readonly ConcurrentDictionary<string, CompiledSchema> _compiled = new(StringComparer.Ordinal);

    /// <summary>The schemas of <paramref name="definition"/>'s <c>run</c> phases, by phase key (none for most runs).</summary>
    public async ValueTask<IReadOnlyDictionary<string, CompiledSchema>> OfAsync(RunDefinition definition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!definition.Phases.Any(p => p.Executor == PhaseExecutors.Run))
        {
            return s_none;
        }

        var schemas = new Dictionary<string, CompiledSchema>(StringComparer.Ordinal);
        foreach (var phase in definition.Phases.Where(p => p.Executor == PhaseExecutors.Run))
        {
            if (!_compiled.TryGetValue(phase.SchemaDigest, out var schema))
            {
                var loaded = await JsonSchemas.LoadAsync(phase.ArtifactSchema, cancellationToken);
                schema = loaded.Schema ?? throw new InvalidOperationException(
                    $"The artifact schema of phase '{phase.Key}' ({phase.SchemaDigest}) does not load: {string.Join("; ", loaded.Problems)}");
                _compiled.TryAdd(phase.SchemaDigest, schema);
            }

            schemas[phase.Key] = schema;
        }

        return schemas;
    }
}
