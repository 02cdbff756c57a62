using System.Text.Json.Nodes;

namespace RunMesh.Orchestrator.Templates;

/// <summary>One template of <c>GET /api/templates</c>.</summary>
/// <param name="Name">The template's name.</param>
/// <param name="Version">The template's version.</param>
/// <param name="Hash"><c>sha256:…</c> of its canonical JSON.</param>
/// <param name="CreatedAt">When it was registered.</param>
public sealed record TemplateListItem(string Name, int Version, string Hash, DateTimeOffset CreatedAt);

/// <summary>A page of <c>GET /api/templates</c>, newest first.</summary>
/// <param name="Items">The templates of this page.</param>
/// <param name="NextCursor">The <c>cursor</c> of the next page; <see langword="null"/> on the last page.</param>
public sealed record TemplatePage(IReadOnlyList<TemplateListItem> Items, string? NextCursor);

/// <summary>A registered template as <c>GET /api/templates/{name}/{version}</c> answers it.</summary>
/// <param name="Name">The template's name.</param>
/// <param name="Version">The template's version.</param>
/// <param name="Hash"><c>sha256:…</c> of its canonical JSON.</param>
/// <param name="CreatedAt">When it was registered.</param>
/// <param name="CreatedBy">Who registered it (the caller's identity).</param>
/// <param name="Template">The template's JSON form as registered (canonical key order, no defaults added).</param>
public sealed record TemplateDetails(string Name, int Version, string Hash, DateTimeOffset CreatedAt, string? CreatedBy, JsonObject Template);
