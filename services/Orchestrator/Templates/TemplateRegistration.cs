using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>What <see cref="TemplateRegistry.RegisterAsync"/> did with a template's text.</summary>
public enum TemplateRegistrationOutcome
{
    /// <summary>A new template was stored.</summary>
    Created,

    /// <summary>The identical template (same name, version and hash) was already registered: nothing changed.</summary>
    Unchanged,

    /// <summary>The text is not a JSON object or YAML mapping (malformed JSON or YAML, another root type).</summary>
    Unreadable,

    /// <summary>The text was read, but the template breaks rules of docs/templates.md.</summary>
    Invalid,

    /// <summary>Another content is already registered under the same <c>name@version</c>.</summary>
    Conflict,
}

/// <summary>The outcome of a registration.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Summary">The registered template (<see cref="TemplateRegistrationOutcome.Created"/>, <see cref="TemplateRegistrationOutcome.Unchanged"/>).</param>
/// <param name="Problems">Why the text was refused (<see cref="TemplateRegistrationOutcome.Unreadable"/>, <see cref="TemplateRegistrationOutcome.Invalid"/>).</param>
/// <param name="Reference">The template's <c>name@version</c> (<see cref="TemplateRegistrationOutcome.Conflict"/>).</param>
/// <param name="Hash">The submitted content's hash (<see cref="TemplateRegistrationOutcome.Conflict"/>).</param>
/// <param name="RegisteredHash">The hash already registered under <paramref name="Reference"/> (<see cref="TemplateRegistrationOutcome.Conflict"/>).</param>
public sealed record TemplateRegistration(
    TemplateRegistrationOutcome Outcome,
    TemplateSummary? Summary = null,
    IReadOnlyList<ValidationProblem>? Problems = null,
    string? Reference = null,
    string? Hash = null,
    string? RegisteredHash = null);

/// <summary>A registered template as <c>POST /api/templates</c> answers it.</summary>
/// <param name="Name">The template's name.</param>
/// <param name="Version">The template's version.</param>
/// <param name="Hash"><c>sha256:…</c> of its canonical JSON.</param>
/// <param name="CreatedAt">When it was first registered.</param>
/// <param name="Phases">The phases' keys, in the order they run.</param>
public sealed record TemplateSummary(string Name, int Version, string Hash, DateTimeOffset CreatedAt, IReadOnlyList<string> Phases);
