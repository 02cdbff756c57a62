using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Request, between services: what a registered template is — its identity and its <c>inputs.schema</c>. Sent by the
/// planner (to check a study's inputs per condition before it starts any run), answered by the orchestrator with a
/// <see cref="TemplateDescription"/>. The planner never reads the orchestrator's tables.
/// </summary>
public sealed record DescribeTemplate
{
    /// <summary>The template: <c>name@version</c> or <c>sha256:…</c>.</summary>
    public required string Template { get; init; }
}

/// <summary>The answer to <see cref="DescribeTemplate"/>.</summary>
public sealed record TemplateDescription
{
    /// <summary>Whether a template is registered under the reference.</summary>
    public required bool Found { get; init; }

    /// <summary>The template, when found.</summary>
    public TemplateRef? Template { get; init; }

    /// <summary>Its <c>inputs.schema</c>; <see langword="null"/> when it declares none (or was not found).</summary>
    public JsonObject? InputsSchema { get; init; }

    /// <summary>When not found: the versions registered under the reference's name, if any (to say which exist).</summary>
    public IReadOnlyList<int> VersionsOfName { get; init; } = [];
}
