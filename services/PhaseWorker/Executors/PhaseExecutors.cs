using System.Diagnostics.CodeAnalysis;

namespace RunMesh.PhaseWorker.Executors;

/// <summary>The registered executors by name (case-insensitive).</summary>
internal sealed class PhaseExecutors(IEnumerable<IPhaseExecutor> executors)
{
    private readonly Dictionary<string, IPhaseExecutor> _byName =
        executors.ToDictionary(executor => executor.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The names of every executor, for messages.</summary>
    public IEnumerable<string> Names => _byName.Keys.Order(StringComparer.Ordinal);

    /// <summary>The executor called <paramref name="name"/>.</summary>
    public bool TryGet(string? name, [NotNullWhen(true)] out IPhaseExecutor? executor)
    {
        executor = null;
        return name is not null && _byName.TryGetValue(name, out executor);
    }
}
