namespace RunMesh.Orchestrator.Templates;

/// <summary>The stable problem <c>code</c>s of the templates API (beside the shared <c>invalid_request</c>).</summary>
public static class TemplateProblemCodes
{
    /// <summary>The template was read but breaks rules of docs/templates.md; <c>errors</c> lists every problem (400).</summary>
    public const string InvalidTemplate = "invalid_template";

    /// <summary>Another content is already registered under the same <c>name@version</c> (409).</summary>
    public const string TemplateConflict = "template_conflict";

    /// <summary>No template is registered under that name and version (404).</summary>
    public const string TemplateNotFound = RunMesh.Contracts.ErrorCodes.TemplateNotFound;
}
