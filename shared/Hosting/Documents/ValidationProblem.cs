namespace RunMesh.Hosting.Documents;

/// <summary>
/// One thing wrong with a document a person wrote (a template, a study definition) or a run's inputs: where (a JSON
/// path such as <c>$.phases[1].key</c> or <c>$.inputs.feature</c>) and what, in words meant for the author. Validation
/// lists every problem it finds.
/// </summary>
public sealed record ValidationProblem(string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Path}: {Message}";
}
