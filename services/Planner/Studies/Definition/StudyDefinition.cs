using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Planner.Studies.Definition;

/// <summary>
/// A study definition after validation (DESIGN.md, "Studies (the planner)"): one template run over the full factorial
/// of its <see cref="Factors"/>, less the <see cref="Exclude"/>d conditions, <see cref="Replicates"/> times each.
/// Read one with <see cref="StudyDefinitionReader"/>; plan it with <see cref="StudyPlanner"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>The canonical definition</b> — what <see cref="Digest"/> and so <see cref="StudyId"/> are computed from — is the
/// definition's JSON object (YAML read as JSON first) with every field that has a default filled in when it is absent:
/// <c>inputs</c> and <c>model</c> <c>{}</c>, <c>factors</c> <c>{}</c>, <c>exclude</c> <c>[]</c>, <c>replicates</c>
/// <c>1</c>, <c>seed</c> <c>0</c>, <c>parallelism</c> <c>4</c>, <c>failFast</c> <c>false</c>, <c>labels</c> <c>{}</c>.
/// <c>maxRuns</c> and <c>budget</c> have no default and stay absent. Every value given is kept as given; the digest is
/// of the RFC 8785 form, so key order, whitespace, number spelling (<c>0.70</c> = <c>0.7</c>) and notation (YAML or
/// JSON) do not change the study, and spelling out a default (<c>replicates: 1</c>) is the same study as leaving it out.
/// Every field is part of the identity, including <c>parallelism</c>, <c>budget</c> and <c>labels</c>.
/// </para>
/// <para>
/// <b>Plan order</b>: conditions are the full factorial with the factors in the order the definition lists them, the
/// first factor varying slowest and each factor's levels in the order given; excluded conditions are left out; within
/// a condition, replicates run 1..<see cref="Replicates"/>.
/// </para>
/// </remarks>
public sealed record StudyDefinition
{
    /// <summary>The study's name: 1 to 63 lower-case letters, digits and '-', starting with a letter.</summary>
    public required string Name { get; init; }

    /// <summary>The template every run runs: <c>name@version</c> or its content hash <c>sha256:…</c>.</summary>
    public required string Template { get; init; }

    /// <summary>The base inputs of every run, before a condition's <c>inputs.…</c> factors are set in them.</summary>
    public required JsonObject Inputs { get; init; }

    /// <summary>The base model of every run, before a condition's <c>model.…</c> factors and the run's seed are set in it.</summary>
    public required JsonObject Model { get; init; }

    /// <summary>The factors, in the order the definition lists them (the first varies slowest).</summary>
    public required IReadOnlyList<StudyFactor> Factors { get; init; }

    /// <summary>The conditions left out: partial assignments, keyed by factor key, as given.</summary>
    public required IReadOnlyList<JsonObject> Exclude { get; init; }

    /// <summary>Runs per condition (at least 1).</summary>
    public required int Replicates { get; init; }

    /// <summary>The study seed each run's <c>model.seed</c> is derived from; a JSON-safe integer (|seed| &lt; 2^53).</summary>
    public required long Seed { get; init; }

    /// <summary>Runs of this study in flight at once (1 to <see cref="StudyLimits.MaxParallelism"/>).</summary>
    public required int Parallelism { get; init; }

    /// <summary>The most runs the author allows the plan to have; <see langword="null"/> when not set.</summary>
    public int? MaxRuns { get; init; }

    /// <summary>Whether the first failed run cancels the rest and fails the study.</summary>
    public required bool FailFast { get; init; }

    /// <summary>What the study's runs may spend together; <see langword="null"/> when not set.</summary>
    public Budget? Budget { get; init; }

    /// <summary>Labels every run of the study carries (besides <c>studyId</c>, <c>conditionId</c>, <c>replicate</c>).</summary>
    public required IReadOnlyDictionary<string, string> Labels { get; init; }

    /// <summary>The canonical definition (see remarks): the object <see cref="Digest"/> is the digest of. Do not modify it.</summary>
    public required JsonObject Json { get; init; }

    /// <summary>The <c>sha256:</c> digest of the canonical definition (<c>RunMesh.Hashing.Digest.Of</c>).</summary>
    public required string Digest { get; init; }

    /// <summary>UUIDv5 (RunMesh namespace) of <see cref="Digest"/>.</summary>
    public required Guid StudyId { get; init; }
}

/// <summary>Where a factor sets its value in each run.</summary>
public enum FactorTarget
{
    /// <summary>A field of the run's inputs (<c>inputs.…</c>).</summary>
    Inputs,

    /// <summary>A field of the run's model (<c>model.…</c>).</summary>
    Model,
}

/// <summary>One factor of a study: a path into the runs' inputs or model, and the levels it takes.</summary>
/// <param name="Key">The path as the definition spells it (<c>inputs.tone</c>, <c>model.temperature</c>): the key of the condition's factors.</param>
/// <param name="Target">Whether the path is under <c>inputs.</c> or <c>model.</c>.</param>
/// <param name="Fields">The path's field names after <c>inputs.</c> / <c>model.</c> (<c>["style", "tone"]</c> for <c>inputs.style.tone</c>).</param>
/// <param name="Levels">The values it takes, in the order given, each in its canonical form (RFC 8785: <c>0.70</c> is <c>0.7</c>, <c>1e1</c> is <c>10</c>), none equal to another. Do not modify them.</param>
public sealed record StudyFactor(string Key, FactorTarget Target, IReadOnlyList<string> Fields, IReadOnlyList<JsonNode?> Levels);
