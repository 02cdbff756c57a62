using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using RunMesh.Hashing;
using RunMesh.Schemas;

namespace RunMesh.PhaseWorker.Execution;

/// <summary>
/// Artifact schemas as loaded by <see cref="JsonSchemas.LoadAsync"/>, kept by their digest (sha256 of canonical JSON).
/// Every attempt of a phase carries its template's schema, and loading one with NJsonSchema cost about half of a mock
/// attempt's CPU (measured with dotnet-trace; docs/benchmarks.md), while hashing it is cheap. Bounded: the least
/// recently used of at most <see cref="Capacity"/> schemas are dropped. Schemas that fail to load are cached too, so a
/// broken template does not cost a load per attempt.
/// </summary>
internal sealed class ArtifactSchemaCache : IDisposable
{
    /// <summary>How many distinct schemas are kept.</summary>
    public const int Capacity = 512;

    private readonly MemoryCache _loaded = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public async Task<SchemaLoadResult> LoadAsync(JsonObject schema, CancellationToken cancellationToken)
    {
        var digest = Digest.Of(schema);
        if (_loaded.TryGetValue(digest, out SchemaLoadResult? cached))
        {
            return cached!;
        }

        var loaded = await JsonSchemas.LoadAsync(schema, cancellationToken);
        _loaded.Set(digest, loaded, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });
        return loaded;
    }

    public void Dispose() => _loaded.Dispose();
}
