using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Hosting.Documents;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Runs.Children;
using RunMesh.Orchestrator.Runs.Lifecycle;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>
/// The one admission path for <c>POST /api/runs</c> and the <see cref="StartRun"/> command (docs/run-lifecycle.md
/// step 1): resolve the template, validate the inputs, compute the input bundle hash, then — in one transaction —
/// either answer an identical completed or in-flight run (its claim on the hash decides, even under concurrency) or
/// create the run and start it: the row, and what <see cref="RunDecider"/> decides for the <see cref="StartRun"/> of a
/// <c>Pending</c> run (<c>run.created</c>, <c>run.started</c>, the first <see cref="ExecutePhase"/> through the outbox,
/// its deadline), written by <see cref="RunEffects"/>, all in that transaction. Starting here instead of in a saga
/// pass of its own saves a broker hop and a transaction per run (docs/benchmarks.md).
/// </summary>
public sealed class RunAdmission(
    OrchestratorDbContext db, TemplateRegistry templates, IRunJournal journal, RunEffects effects, IOptions<OrchestratorOptions> options,
    ChildArtifactSchemas childArtifactSchemas, ChildRunClaims childRunClaims, TimeProvider clock)
{
    /// <summary>Admits <paramref name="start"/>; <paramref name="publish"/> is the transactional publisher of the caller (bus outbox or consume context).</summary>
    public Task<AdmissionOutcome> AdmitAsync(StartRun start, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        AdmitAsync(start, publish, runIdMayExist: true, cancellationToken);

    /// <summary>
    /// Admits <paramref name="start"/> whose <see cref="StartRun.RunId"/> the caller has just generated (<c>NewId</c>, as
    /// <c>POST /api/runs</c> does): such an id names no run yet, so it is not looked up.
    /// </summary>
    public Task<AdmissionOutcome> AdmitWithNewRunIdAsync(StartRun start, IPublishEndpoint publish, CancellationToken cancellationToken) =>
        AdmitAsync(start, publish, runIdMayExist: false, cancellationToken);

    private async Task<AdmissionOutcome> AdmitAsync(StartRun start, IPublishEndpoint publish, bool runIdMayExist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        if (runIdMayExist && await FindExistingAsync(start.RunId, cancellationToken) is { } existing)
        {
            return new AdmissionOutcome.AlreadyExists(existing);
        }

        // The API refuses these with a 400 before admission; a StartRun from the bus gets here with them.
        if (RunInputs.FieldWithoutCanonicalForm(start.Inputs, start.Model) is { } field)
        {
            return new AdmissionOutcome.Refused(ErrorCodes.InvalidInputs,
                [new ValidationProblem($"$.{field}", "has no canonical JSON form: a number beyond the range of a double, or a string that is not valid Unicode")]);
        }

        var template = await templates.FindAsync(start.Template, cancellationToken);
        if (template is null)
        {
            return new AdmissionOutcome.TemplateNotFound(start.Template, await templates.VersionsOfNameAsync(start.Template, cancellationToken));
        }

        var problems = RunInputs.Validate(template, start.Inputs).ToList();
        var budget = RunBudget.Resolve(template.Budget, start.Options.Budget);
        problems.AddRange(budget.Problems);
        if (start.Options.MaxDepth is < 0 or > 10)
        {
            problems.Add(new ValidationProblem("$.options.maxDepth", "must be between 0 and 10"));
        }

        if (start.Options.TimeoutSeconds is <= 0)
        {
            // A run timeout of zero or less would fail the run at once with run_timeout.
            problems.Add(new ValidationProblem("$.options.timeoutSeconds", "must be a positive number of seconds"));
        }

        var lineage = await LineageAsync(start, cancellationToken);
        if (lineage.Problem is { } lineageProblem)
        {
            return new AdmissionOutcome.Refused(lineage.Code!, [lineageProblem, .. problems]);
        }

        if (problems.Count > 0)
        {
            return new AdmissionOutcome.Refused(budget.IsAccepted ? ErrorCodes.InvalidInputs : ErrorCodes.InvalidBudget, problems);
        }

        var tooLarge = InstructionSize.CheckAtAdmission(template, start.Inputs, options.Value.MaxRenderedInstructionsBytes).ToList();
        if (tooLarge.Count > 0)
        {
            return new AdmissionOutcome.Refused(ErrorCodes.InstructionsTooLarge, tooLarge);
        }

        var inputBundleHash = RunInputs.InputBundleHash(template.Hash, start.Inputs, start.Model, start.Options);
        var now = clock.GetUtcNow();

        // Inside a consumer the inbox/outbox transaction is already open: join it. From the API: our own.
        var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await using (transaction)
        {
            // A child takes its id before its first write: a cancel its parent sent it first refuses it (ChildRunClaims).
            if (lineage.ParentRunId is not null && await childRunClaims.ClaimForAdmissionAsync(start.RunId, cancellationToken) is { } cancelled)
            {
                return new AdmissionOutcome.Refused(ErrorCodes.RunCancelled, [new ValidationProblem("$.runId", $"was cancelled before it started: {cancelled}")]);
            }

            var claimed = await journal.ClaimInputBundleAsync(inputBundleHash, start.RunId, cancellationToken);
            if (!claimed && !start.Options.Force)
            {
                var holder = await db.InputBundleClaims.AsNoTracking()
                    .Where(c => c.InputBundleHash == inputBundleHash).Select(c => c.RunId).SingleAsync(cancellationToken);
                var outcome = await AnswerWithAsync(holder, start, publish, now, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
                await CommitAsync(transaction, cancellationToken);
                return outcome;
            }

            var run = NewRun(start, template, inputBundleHash, budget.Effective, lineage.Depth, now);
            db.Runs.Add(run);
            var input = new RunInput(start) { ChildArtifactSchemas = await childArtifactSchemas.OfAsync(run.Definition, cancellationToken) };
            await StartAsync(run, input, publish, effects, options.Value, now, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await CommitAsync(transaction, cancellationToken);
            return new AdmissionOutcome.Created(run.CorrelationId, run.State);
        }
    }

    /// <summary>
    /// Starts <paramref name="run"/>, just created <c>Pending</c> from the <see cref="StartRun"/> of
    /// <paramref name="input"/>: what the decider decides for it, written by <paramref name="effects"/> in the caller's
    /// transaction; the run moves to where it decided (Running, or Failed when the first dispatch is refused, e.g. over
    /// budget).
    /// </summary>
    public static async Task StartAsync(
        RunRecord run, RunInput input, IPublishEndpoint publish, RunEffects effects, OrchestratorOptions options, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(effects);
        var decision = RunDecider.Decide(run, input, options, now);
        await effects.ApplyAsync(run, decision, publish, now, cancellationToken);
        run.State = decision.To;
    }

    /// <summary>
    /// Where a child run sits: one below its parent, which must exist and must not have ended without completing. The
    /// depth limit is the lower of the parent's <c>maxDepth</c> and the child's, so a subtree can tighten the limit but
    /// never widen it (the root's default is 3: runs at depth 0–3, a fourth level is refused). Read without a lock: a
    /// parent that ends after this read cancels the child, before or after it exists (<see cref="ChildRunClaims"/>).
    /// </summary>
    private async Task<(int Depth, string? Code, ValidationProblem? Problem, Guid? ParentRunId)> LineageAsync(StartRun start, CancellationToken cancellationToken)
    {
        if (start.ParentRunId is not { } parentId)
        {
            return (0, null, null, null);
        }

        // The parent as a run (a child's parent id is a run's own id), else as an alias; its definition, not its phases
        // (a fan-out parent's phases hold every child, and each of its children is admitted here).
        var parentRow = await ParentOfAsync(parentId, cancellationToken)
            ?? (await FindExistingAsync(parentId, cancellationToken) is { } aliased ? await ParentOfAsync(aliased, cancellationToken) : null);
        if (parentRow is null)
        {
            return (0, ErrorCodes.ParentRunNotFound, new ValidationProblem("$.parentRunId", $"there is no run {parentId}"), null);
        }

        if (parentRow.State is RunState.Failed or RunState.Cancelled or RunState.Aborted)
        {
            return (0, ErrorCodes.ParentRunEnded,
                new ValidationProblem("$.parentRunId", $"run {parentId} is {RunStates.ToJson(parentRow.State)}; a child cannot start under it"), null);
        }

        var parent = parentRow.Definition;

        var depth = parent.Depth + 1;
        var limit = Math.Min(parent.Options.MaxDepth, start.Options.MaxDepth);
        return depth > limit
            ? (depth, ErrorCodes.MaxDepthExceeded, new ValidationProblem("$.parentRunId", $"a child of run {parentId} would be at depth {depth}, over the limit of {limit} (maxDepth)"), null)
            : (depth, null, null, parentRow.RunId);
    }

    private sealed record ParentRow(Guid RunId, RunState State, RunDefinition Definition);

    private Task<ParentRow?> ParentOfAsync(Guid runId, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().Where(r => r.CorrelationId == runId)
            .Select(r => new ParentRow(r.CorrelationId, r.State, r.Definition))
            .SingleOrDefaultAsync(cancellationToken);

    private static Task CommitAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? own, CancellationToken cancellationToken) =>
        own?.CommitAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>The run an id names: the run itself, or the run an alias points at.</summary>
    public Task<Guid?> FindExistingAsync(Guid runId, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().Where(r => r.CorrelationId == runId).Select(r => (Guid?)r.CorrelationId)
            .Concat(db.RunAliases.AsNoTracking().Where(a => a.AliasRunId == runId).Select(a => (Guid?)a.RunId))
            .FirstOrDefaultAsync(cancellationToken); // One round trip (UNION ALL); an id is never both.

    /// <summary>
    /// Answers a start with the run that holds its input bundle. A start that chose its own id keeps it as an alias; if
    /// the run already ended, the alias learns the outcome at once (its <see cref="RunFinished"/> is published now).
    /// </summary>
    private async Task<AdmissionOutcome> AnswerWithAsync(
        Guid holderId, StartRun start, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Locked like the saga locks it: its event counter must not be bumped by two requests at once.
        var holder = await EntityFrameworkQueryableExtensions.SingleAsync(
            db.Runs.FromSqlInterpolated($"SELECT *, xmin FROM runs WHERE run_id = {holderId} FOR UPDATE"), cancellationToken);
        effects.Append(holder, RunEventTypes.RunDeduplicated, new()
        {
            ["requestedRunId"] = start.RunId.ToString(),
            ["requestedBy"] = start.RequestedBy,
            ["state"] = RunStates.ToJson(holder.State),
        }, $"deduplicated:{start.RunId}", now);

        Guid? alias = null;
        if (start.RunId != holderId)
        {
            alias = start.RunId;
            var finished = holder.EndedAt is not null && holder.State == RunState.Completed;
            db.RunAliases.Add(new RunAlias
            {
                AliasRunId = start.RunId,
                RunId = holderId,
                ParentRunId = start.ParentRunId,
                CreatedAt = now,
                PublishedGeneration = finished ? holder.Generation : 0,
            });
            if (finished)
            {
                await effects.PublishRunFinishedToAliasAsync(holder, new RunAliasRead(start.RunId, start.ParentRunId), publish, now, cancellationToken);
            }
        }

        return new AdmissionOutcome.Deduplicated(holderId, holder.State, alias);
    }

    private static RunRecord NewRun(StartRun start, WorkflowTemplate template, string inputBundleHash, Budget? budget, int depth, DateTimeOffset now)
    {
        var phases = RunPlanning.PhasesOf(template);
        return new RunRecord
        {
            CorrelationId = start.RunId,
            State = RunState.Pending,
            CreatedAt = now,
            TemplateName = template.Name,
            TemplateVersion = template.Version,
            Labels = start.Options.Labels.ToDictionary(l => l.Key, l => l.Value),
            RequestedBy = start.RequestedBy,
            ParentRunId = start.ParentRunId,
            Definition = new RunDefinition
            {
                Template = new TemplateRef { Name = template.Name, Version = template.Version, Hash = template.Hash },
                InputBundleHash = inputBundleHash,
                Inputs = start.Inputs.DeepClone().AsObject(),
                Model = start.Model.DeepClone().AsObject(),
                Options = start.Options,
                Budget = budget,
                TimeoutSeconds = Math.Min(start.Options.TimeoutSeconds ?? template.TimeoutSeconds, template.TimeoutSeconds),
                ParentRunId = start.ParentRunId,
                Depth = depth,
                RequestedBy = start.RequestedBy,
                Phases = phases,
            },
            Phases = phases.Select(p => new PhaseProgress { Key = p.Key }).ToList(),
        };
    }
}
