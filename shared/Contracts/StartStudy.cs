using System.Text.Json.Nodes;

namespace RunMesh.Contracts;

/// <summary>
/// Command: start (or resume) a study — one template run over a grid of conditions, several replicates each. Consumed
/// by the planner; the same path as <c>POST /api/studies</c>. Other systems may publish it to the exchange
/// <c>RunMesh.Contracts:StartStudy</c>. The study's id is derived from the definition (UUIDv5 of its <c>sha256:</c>
/// digest), so publishing the same definition twice starts one study; if that study ended without completing, it
/// resumes. A definition with problems is answered with a failed <see cref="StudyFinished"/> naming them.
/// </summary>
public sealed record StartStudy
{
    /// <summary>The study definition, as <c>POST /api/studies</c> takes it in JSON.</summary>
    public required JsonObject StudyDefinition { get; init; }

    /// <summary>Who asked for the study. <see langword="null"/> (the default) when the sender did not say.</summary>
    public string? RequestedBy { get; init; }
}
