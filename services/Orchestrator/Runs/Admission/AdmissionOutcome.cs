using RunMesh.Contracts;
using RunMesh.Hosting.Documents;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>What admission decided about a start request.</summary>
public abstract record AdmissionOutcome
{
    private AdmissionOutcome()
    {
    }

    /// <summary>A new run was created and started: <paramref name="State"/> is its state (Running, or Failed when its first dispatch was refused).</summary>
    public sealed record Created(Guid RunId, RunState State) : AdmissionOutcome;

    /// <summary>
    /// An identical run answers the request: completed (nothing is executed) or still in flight (the request joins it).
    /// <see cref="AliasRunId"/> is the sender's own id when it differs and was recorded as an alias.
    /// </summary>
    public sealed record Deduplicated(Guid RunId, RunState State, Guid? AliasRunId) : AdmissionOutcome;

    /// <summary>A run with this id already exists (the same start sent again): nothing new is started.</summary>
    public sealed record AlreadyExists(Guid RunId) : AdmissionOutcome;

    /// <summary>
    /// The template reference matches no registered template; <paramref name="VersionsOfName"/> are the registered
    /// versions of the name it gives (none when the name is unknown too).
    /// </summary>
    public sealed record TemplateNotFound(string Reference, IReadOnlyList<int> VersionsOfName) : AdmissionOutcome
    {
        /// <summary>What to send instead, in words (<see cref="TemplateRegistry.NotFoundMessage"/>).</summary>
        public string Message => TemplateRegistry.NotFoundMessage(Reference, VersionsOfName);
    }

    /// <summary>The inputs, options or budget are not acceptable for the template (422).</summary>
    public sealed record Refused(string Code, IReadOnlyList<ValidationProblem> Problems) : AdmissionOutcome;
}
