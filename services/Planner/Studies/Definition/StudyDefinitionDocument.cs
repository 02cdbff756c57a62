using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>
/// A study definition as an author writes it, for the API document's request body of <c>POST /api/studies</c>
/// (docs/studies.md). What a definition may be is decided by <see cref="StudyDefinitionReader"/>, which lists every
/// problem; this type only describes the shape to clients. Tests hold it to the definitions the reader accepts.
/// </summary>
public sealed record StudyDefinitionDocument
{
    /// <summary>The study's name.</summary>
    public required string Name { get; init; }

    /// <summary>The template every run starts: <c>name@version</c> or <c>sha256:…</c>.</summary>
    public required string Template { get; init; }

    /// <summary>The base inputs of every run.</summary>
    public JsonObject? Inputs { get; init; }

    /// <summary>The base model of every run (without <c>seed</c>: each run's seed is derived).</summary>
    public JsonObject? Model { get; init; }

    /// <summary>The full factorial: each key a path under <c>inputs.</c> or <c>model.</c>, each value its levels.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<JsonNode>>? Factors { get; init; }

    /// <summary>Conditions left out: each a partial assignment of factor paths to levels.</summary>
    public IReadOnlyList<JsonObject>? Exclude { get; init; }

    /// <summary>Runs per condition (default 1).</summary>
    [Range(1, int.MaxValue)]
    public int? Replicates { get; init; }

    /// <summary>The study seed every run's <c>model.seed</c> is derived from (default 0).</summary>
    [Range(-StudyDefinitionReader.MaxSeedMagnitude, StudyDefinitionReader.MaxSeedMagnitude)]
    public long? Seed { get; init; }

    /// <summary>Runs in flight at once (default 4).</summary>
    [Range(1, StudyLimits.MaxParallelism)]
    public int? Parallelism { get; init; }

    /// <summary>The definition is refused when its plan has more runs.</summary>
    [Range(1, int.MaxValue)]
    public int? MaxRuns { get; init; }

    /// <summary>Whether the first failed run cancels the rest and fails the study (default false).</summary>
    public bool? FailFast { get; init; }

    /// <summary>No new run starts once the study's runs have spent this.</summary>
    public StudyBudgetDocument? Budget { get; init; }

    /// <summary>Labels every run carries (besides <c>studyId</c>, <c>conditionId</c>, <c>replicate</c>).</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>The <c>budget</c> of a study.</summary>
public sealed record StudyBudgetDocument
{
    /// <summary>US dollars.</summary>
    [Range(0, double.MaxValue)]
    public decimal? MaxCostUsd { get; init; }

    /// <summary>Input plus output tokens.</summary>
    [Range(0, long.MaxValue)]
    public long? MaxTokens { get; init; }
}
