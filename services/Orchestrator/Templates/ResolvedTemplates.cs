using System.Collections.Concurrent;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// The templates <c>name@version</c> references resolved to in this process (one per host, so one per database). A
/// registered <c>name@version</c> never changes and is never removed, so once found it is never read again: starting
/// a run saves a round trip and the template's canonical JSON on the wire.
/// </summary>
public sealed class ResolvedTemplates
{
    // Only a guard against an unusual number of them, like the validated-template cache.
    private const int MaxEntries = 1000;
    private readonly ConcurrentDictionary<(string Name, int Version), WorkflowTemplate> _byReference = new();

    /// <summary>The template <paramref name="name"/>@<paramref name="version"/> resolved to before, if it did.</summary>
    public WorkflowTemplate? Find(string name, int version) => _byReference.GetValueOrDefault((name, version));

    /// <summary>Remembers that <paramref name="name"/>@<paramref name="version"/> is registered as <paramref name="template"/>.</summary>
    public void Remember(string name, int version, WorkflowTemplate template)
    {
        if (_byReference.Count >= MaxEntries)
        {
            _byReference.Clear();
        }

        _byReference[(name, version)] = template;
    }
}
