using System.Text.Json;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Schemas;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// A validated workflow template, immutable: its name and version, its content <see cref="Hash"/>, its phases with
/// every default applied, and its canonical JSON (the form it is stored and hashed in).
/// Obtained only from <see cref="TemplateValidator"/>.
/// </summary>
public sealed record WorkflowTemplate
{
    /// <summary>The default whole-run timeout, in seconds.</summary>
    public const int DefaultTimeoutSeconds = 3600;

    /// <summary>The template's name, e.g. <c>spec-review</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The template's version, a positive integer.</summary>
    public required int Version { get; init; }

    /// <summary><c>sha256:…</c> of the template's canonical JSON (see <see cref="TemplateHash"/>).</summary>
    public required string Hash { get; init; }

    /// <summary>The template exactly as registered (no defaults added), in RFC 8785 canonical JSON.</summary>
    public required string CanonicalJson { get; init; }

    /// <summary>The schema a run's inputs must satisfy; <see langword="null"/> when the template declares none.</summary>
    public TemplateSchema? InputSchema { get; init; }

    /// <summary>The phases, in the order they run.</summary>
    public required IReadOnlyList<TemplatePhase> Phases { get; init; }

    /// <summary>The template's budget, the ceiling for every run; <see langword="null"/> when it sets none.</summary>
    public Budget? Budget { get; init; }

    /// <summary>The whole run's timeout, in seconds (default 3600).</summary>
    public int TimeoutSeconds { get; init; } = DefaultTimeoutSeconds;

    /// <summary><c>name@version</c>, the template's human identifier.</summary>
    public string Reference => $"{Name}@{Version}";

    /// <summary>The phase with <paramref name="key"/>, or <see langword="null"/>.</summary>
    public TemplatePhase? FindPhase(string key) => Phases.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.Ordinal));

    /// <summary>A fresh, mutable copy of the template's JSON form.</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(CanonicalJson)!.AsObject();
}

/// <summary>One phase of a <see cref="WorkflowTemplate"/>, with its defaults applied.</summary>
public sealed record TemplatePhase
{
    /// <summary>Extra attempts after an invalid artifact when the template says nothing.</summary>
    public const int DefaultRepairAttempts = 1;

    /// <summary>Start-to-close timeout of an attempt when the template says nothing, in seconds.</summary>
    public const int DefaultTimeoutSeconds = 300;

    /// <summary>The phase's key, unique in its template, e.g. <c>spec</c>.</summary>
    public required string Key { get; init; }

    /// <summary>The executor that runs the phase: one of <see cref="PhaseExecutors.Known"/>.</summary>
    public required string Executor { get; init; }

    /// <summary>
    /// The executor-specific settings, a JSON object (empty when the template gives none); for a <c>run</c> phase,
    /// validated and read by <see cref="ChildRunSettings.Of"/>.
    /// </summary>
    public required JsonElement Settings { get; init; }

    /// <summary>The instructions as written, with their <c>{{…}}</c> references unrendered; empty for a <c>run</c> phase that gives none.</summary>
    public required string Instructions { get; init; }

    /// <summary>The references the instructions make, in order of appearance.</summary>
    public required IReadOnlyList<InstructionReference> References { get; init; }

    /// <summary>
    /// For a <c>run</c> phase, the references its settings make: <c>forEach</c> first, then those in the strings of
    /// <c>settings.inputs</c>, in document order (their offsets are within each string). Empty for other phases.
    /// </summary>
    public IReadOnlyList<InstructionReference> ChildInputReferences { get; init; } = [];

    /// <summary>The schema the phase's artifact must satisfy.</summary>
    public required TemplateSchema ArtifactSchema { get; init; }

    /// <summary>Extra attempts after an invalid artifact, with the validation errors fed back (0..5, default 1).</summary>
    public int RepairAttempts { get; init; } = DefaultRepairAttempts;

    /// <summary>How often and how fast executor errors and timeouts are retried.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Start-to-close timeout of one attempt, in seconds, enforced by the worker (default 300).</summary>
    public int TimeoutSeconds { get; init; } = DefaultTimeoutSeconds;

    /// <summary>The approval gates the phase's artifact must pass, in order.</summary>
    public IReadOnlyList<ApprovalGate> Gates { get; init; } = [];

    /// <summary>The keys of the earlier phases whose outputs the instructions reference, each once, in order of first use.</summary>
    public IReadOnlyList<string> ReferencedPhases =>
        References.Where(r => r.Kind == InstructionReferenceKind.PhaseOutput).Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>A fresh, mutable copy of <see cref="Settings"/>, e.g. for <c>ExecutePhase.ExecutorSettings</c>.</summary>
    public JsonObject SettingsToJsonObject() => JsonObject.Create(Settings)!.DeepClone().AsObject();
}

/// <summary>
/// A phase's retry policy for executor errors and timeouts. <see cref="MaxAttempts"/> counts every attempt, the first
/// included; repair attempts after an invalid artifact are counted apart.
/// </summary>
/// <param name="MaxAttempts">Total attempts that may end in an executor error or timeout (1..10, default 3).</param>
/// <param name="BackoffSeconds">Wait before the first retry, in seconds (0..3600, default 1).</param>
/// <param name="BackoffMultiplier">Factor applied to the wait before each further retry (1..10, default 2).</param>
public sealed record RetryPolicy(int MaxAttempts, double BackoffSeconds, double BackoffMultiplier)
{
    /// <summary>The policy when the template gives none: 3 attempts, 1 s, doubling.</summary>
    public static RetryPolicy Default { get; } = new(3, 1, 2);

    /// <summary>
    /// The wait before retry number <paramref name="retry"/> (1 = the wait after the first failed attempt):
    /// <c>backoffSeconds × backoffMultiplier^(retry − 1)</c>.
    /// </summary>
    public TimeSpan BackoffBefore(int retry) =>
        TimeSpan.FromSeconds(BackoffSeconds * Math.Pow(BackoffMultiplier, Math.Max(0, retry - 1)));
}

/// <summary>An approval gate of a phase.</summary>
/// <param name="Name">The gate's name, unique within its phase.</param>
/// <param name="ExpiresAfterSeconds">How long an approval request may wait before it expires; <see langword="null"/> for never.</param>
public sealed record ApprovalGate(string Name, int? ExpiresAfterSeconds);

/// <summary>A JSON Schema of a template (its inputs' or a phase's artifact's), loaded and ready to validate.</summary>
/// <param name="Json">The schema as written (a JSON object).</param>
/// <param name="Compiled">The loaded schema (draft 7, local references only).</param>
public sealed record TemplateSchema(JsonElement Json, CompiledSchema Compiled)
{
    /// <summary>A fresh, mutable copy of the schema, e.g. for <c>ExecutePhase.ArtifactSchema</c>.</summary>
    public JsonObject ToJsonObject() => JsonObject.Create(Json)!.DeepClone().AsObject();

    /// <summary>Validates <paramref name="instance"/>; returns every error as <c>path: kind</c> (empty when valid).</summary>
    public IReadOnlyList<string> Validate(JsonNode? instance) => Compiled.Validate(instance);
}
