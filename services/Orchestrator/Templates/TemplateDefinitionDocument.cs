using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// A workflow template as an author writes it, for the API document's request body of <c>POST /api/templates</c>
/// (docs/templates.md). What a template may be is decided by <see cref="TemplateValidator"/>, which lists every problem;
/// this type only describes the shape to clients. Tests hold it to the samples the validator accepts.
/// </summary>
public sealed record TemplateDefinitionDocument
{
    /// <summary>The template's name.</summary>
    [RegularExpression("^[a-z][a-z0-9-]{0,62}$")]
    public required string Name { get; init; }

    /// <summary>Its version; <c>name@version</c> is registered once and never changes.</summary>
    [Range(1, int.MaxValue)]
    public required int Version { get; init; }

    /// <summary>What a run's inputs must be.</summary>
    public TemplateInputsDocument? Inputs { get; init; }

    /// <summary>The phases, run in this order.</summary>
    [Length(1, TemplateLimits.MaxPhases)]
    public required IReadOnlyList<TemplatePhaseDocument> Phases { get; init; }

    /// <summary>The ceiling of every run's spending.</summary>
    public TemplateBudgetDocument? Budget { get; init; }

    /// <summary>The whole run's timeout, in seconds (default 3600).</summary>
    [Range(1, 604_800)]
    public int? TimeoutSeconds { get; init; }
}

/// <summary>The <c>inputs</c> of a template.</summary>
public sealed record TemplateInputsDocument
{
    /// <summary>A JSON Schema (draft 7, local <c>$ref</c>s only) a run's inputs must satisfy.</summary>
    public JsonObject? Schema { get; init; }
}

/// <summary>One phase of a template.</summary>
public sealed record TemplatePhaseDocument
{
    /// <summary>The phase's key, unique in the template.</summary>
    [RegularExpression("^[a-z][a-z0-9_-]{0,62}$")]
    public required string Key { get; init; }

    /// <summary><c>mock</c>, <c>openai</c>, <c>http</c> (the workers') or <c>run</c> (child runs).</summary>
    [AllowedValues("mock", "openai", "http", "run")]
    public required string Executor { get; init; }

    /// <summary>Executor-specific settings (required for <c>run</c>).</summary>
    public JsonObject? Settings { get; init; }

    /// <summary>What the executor is asked, with <c>{{inputs.x}}</c> and <c>{{phases.KEY.output}}</c> references (not for <c>run</c>).</summary>
    public string? Instructions { get; init; }

    /// <summary>What the phase's artifact must be.</summary>
    public required TemplateArtifactDocument Artifact { get; init; }

    /// <summary>Extra attempts after an invalid artifact, with the validation errors fed back (default 1).</summary>
    [Range(0, 5)]
    public int? RepairAttempts { get; init; }

    /// <summary>Attempts after an executor error or a timeout.</summary>
    public TemplateRetryDocument? Retry { get; init; }

    /// <summary>Start-to-close of one attempt, in seconds (default 300).</summary>
    [Range(1, 86_400)]
    public int? TimeoutSeconds { get; init; }

    /// <summary>Approval gates after the phase: each a name, or <c>{name, expiresAfterSeconds}</c>.</summary>
    public IReadOnlyList<JsonNode>? Gates { get; init; }
}

/// <summary>The <c>artifact</c> of a phase.</summary>
public sealed record TemplateArtifactDocument
{
    /// <summary>A JSON Schema (draft 7, local <c>$ref</c>s only) the artifact must satisfy.</summary>
    public required JsonObject Schema { get; init; }
}

/// <summary>The <c>retry</c> of a phase.</summary>
public sealed record TemplateRetryDocument
{
    /// <summary>Total attempts that may end in an executor error or a timeout, the first included (default 3).</summary>
    [Range(1, 10)]
    public int? MaxAttempts { get; init; }

    /// <summary>The wait before the first retry, in seconds (default 1).</summary>
    [Range(0, 3600)]
    public double? BackoffSeconds { get; init; }

    /// <summary>How much each wait grows (default 2).</summary>
    [Range(1, 10)]
    public double? BackoffMultiplier { get; init; }
}

/// <summary>The <c>budget</c> of a template.</summary>
public sealed record TemplateBudgetDocument
{
    /// <summary>The most a run may cost, in US dollars (greater than 0).</summary>
    public decimal? MaxCostUsd { get; init; }

    /// <summary>The most tokens (input plus output) a run may use.</summary>
    [Range(1, long.MaxValue)]
    public long? MaxTokens { get; init; }
}
