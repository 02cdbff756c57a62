using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;
using RunMesh.Planner.Persistence;
using RunMesh.Planner.Studies.Definition;

namespace RunMesh.Planner.Studies;

/// <summary>What admission made of a study definition.</summary>
public abstract record StudyAdmissionOutcome
{
    private StudyAdmissionOutcome()
    {
    }

    /// <summary>The definition has problems; nothing was written.</summary>
    public sealed record Invalid(Guid? StudyId, IReadOnlyList<ValidationProblem> Problems) : StudyAdmissionOutcome;

    /// <summary>The orchestrator did not answer whether the template exists; nothing was written.</summary>
    public sealed record TemplateUnknowable(Guid StudyId, string Reason) : StudyAdmissionOutcome;

    /// <summary>A dry run: the plan, nothing written.</summary>
    public sealed record Planned(StudyPlan Plan) : StudyAdmissionOutcome;

    /// <summary>A new study, started.</summary>
    public sealed record Created(StudyRecord Study, StudyPlan Plan) : StudyAdmissionOutcome;

    /// <summary>The identical study already ran or runs; nothing changed.</summary>
    public sealed record Existing(StudyRecord Study, StudyPlan Plan) : StudyAdmissionOutcome;

    /// <summary>The identical study had ended without completing: it resumed.</summary>
    public sealed record Resumed(StudyRecord Study, StudyPlan Plan) : StudyAdmissionOutcome;
}

/// <summary>
/// The one admission path of <c>POST /api/studies</c> and <see cref="StartStudy"/>: read and validate the definition,
/// ask the orchestrator for the template (<see cref="DescribeTemplate"/>) and check every condition's inputs against
/// its schema, plan it, then — in one transaction, under the study row's lock — create the study with one row per
/// planned run and start its first runs, or answer the identical study, or resume it if it ended without completing
/// (only runs that did not complete run again, under new ids).
/// </summary>
public sealed class StudyAdmission(
    PlannerDbContext db, StudyProgress progress, IRequestClient<DescribeTemplate> templates, IOptions<StudyLimits> limits, TimeProvider clock)
{
    public async Task<StudyAdmissionOutcome> AdmitAsync(
        System.Text.Json.Nodes.JsonObject document, string? requestedBy, bool dryRun, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        // The template is looked up first, so that an unknown template is listed with every other problem.
        TemplateDescription? description = null;
        if (StudyDefinitionReader.TemplateOf(document) is { } reference)
        {
            try
            {
                description = (await templates.GetResponse<TemplateDescription>(new DescribeTemplate { Template = reference }, cancellationToken)).Message;
            }
            catch (RequestTimeoutException)
            {
                return new StudyAdmissionOutcome.TemplateUnknowable(NameBasedId.Of(Digest.Of(document)),
                    "the orchestrator did not answer in time whether the template exists");
            }
        }

        var planned = await StudyPlanner.PlanAsync(document, description?.InputsSchema, limits.Value, cancellationToken);
        if (description is { Found: false })
        {
            var versions = description.VersionsOfName.Count == 0 ? "" : $" (registered versions of that name: {string.Join(", ", description.VersionsOfName)})";
            planned = planned with
            {
                Plan = null,
                Problems = [.. planned.Problems, new ValidationProblem("$.template",
                    $"no template is registered as '{StudyDefinitionReader.TemplateOf(document)}'{versions}; name one as name@version or sha256:…")],
            };
        }

        if (planned.Plan is not { } plan || description?.Template is not { } template)
        {
            return new StudyAdmissionOutcome.Invalid(NameBasedId.Of(Digest.Of(document)), planned.Problems);
        }

        var definition = plan.Definition;
        if (dryRun)
        {
            return new StudyAdmissionOutcome.Planned(plan);
        }

        var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (transaction)
        {
            var existing = await EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
                db.Studies.FromSqlInterpolated($"SELECT *, xmin FROM studies WHERE study_id = {plan.StudyId} FOR UPDATE"), cancellationToken);
            StudyAdmissionOutcome outcome;
            if (existing is null)
            {
                var study = NewStudy(definition, plan, template, requestedBy);
                db.Studies.Add(study);
                await db.SaveChangesAsync(cancellationToken);
                await StudyPlanRows.CopyAsync(db, plan, cancellationToken); // the planned rows, so that StartNextAsync finds them
                await progress.StartNextAsync(study, publish, cancellationToken);
                outcome = new StudyAdmissionOutcome.Created(study, plan);
            }
            else if (existing.State is StudyState.Running or StudyState.Completed)
            {
                return new StudyAdmissionOutcome.Existing(existing, plan);
            }
            else
            {
                await ResumeAsync(existing, requestedBy, cancellationToken);
                await progress.StartNextAsync(existing, publish, cancellationToken);
                outcome = new StudyAdmissionOutcome.Resumed(existing, plan);
            }

            await db.SaveChangesAsync(cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            return outcome;
        }
    }

    private StudyRecord NewStudy(StudyDefinition definition, StudyPlan plan, TemplateRef template, string? requestedBy) => new()
    {
        CorrelationId = plan.StudyId,
        State = StudyState.Running,
        Name = definition.Name,
        Template = template,
        Definition = definition.Json.DeepClone().AsObject(),
        DefinitionDigest = definition.Digest,
        FactorKeys = definition.Factors.Select(f => f.Key).ToList(),
        Parallelism = definition.Parallelism,
        FailFast = definition.FailFast,
        Budget = definition.Budget,
        Labels = definition.Labels.ToDictionary(l => l.Key, l => l.Value),
        PlannedRuns = plan.Runs.Count,
        Pending = plan.Runs.Count,
        Generation = 1,
        RequestedBy = requestedBy,
        CreatedAt = clock.GetUtcNow(),
    };

    /// <summary>
    /// Every run of <paramref name="study"/> that did not complete is planned again under a new id (its
    /// <see cref="StudyRunRow.Restarts"/> counted into the name-based id); completed runs stay as they are.
    /// </summary>
    private async Task ResumeAsync(StudyRecord study, string? requestedBy, CancellationToken cancellationToken)
    {
        var again = await db.StudyRuns
            .Where(r => r.StudyId == study.CorrelationId && (r.State == StudyRunStates.Failed || r.State == StudyRunStates.Cancelled))
            .ToListAsync(cancellationToken);
        foreach (var run in again)
        {
            run.Restarts++;
            run.RunId = NameBasedId.Of($"{study.CorrelationId}:{run.ConditionId}:{run.Replicate}:r{run.Restarts}");
            run.State = StudyRunStates.Pending;
            run.ErrorCode = null;
            run.StartedAt = run.EndedAt = null;
            run.DurationMs = null;
            run.InputTokens = run.OutputTokens = 0;
            run.CostUsd = 0;
            run.FinalArtifactDigest = null;
        }

        study.Pending += again.Count;
        study.Failed = 0;
        study.Cancelled = 0;
        study.State = StudyState.Running;
        study.StoppingAs = null;
        study.EndedAt = null;
        study.Generation++;
        study.RequestedBy = requestedBy ?? study.RequestedBy;
    }
}
