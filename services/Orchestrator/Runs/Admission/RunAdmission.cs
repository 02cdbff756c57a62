using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using RunMesh.Contracts;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>
/// The one admission path for <c>POST /api/runs</c> and the <see cref="StartRun"/> command (DESIGN.md Run lifecycle
/// step 1): resolve the template, validate the inputs, compute the input bundle hash, then — in one transaction —
/// either answer an identical completed or in-flight run (its claim on the hash decides, even under concurrency) or
/// create the run and start it: the row, <c>run.created</c>, and the state machine's first step (<c>run.started</c>, the
/// first <see cref="ExecutePhase"/> through the outbox, its deadline), all in that transaction. Starting here instead of
/// in a saga pass of its own saves a broker hop and a transaction per run (docs/benchmarks.md).
/// </summary>
public sealed class RunAdmission(
    OrchestratorDbContext db, TemplateRegistry templates, IRunJournal journal, IOptions<OrchestratorOptions> options,
    ILoggerFactory loggers, TimeProvider clock)
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
            return new AdmissionOutcome.Refused("invalid_inputs",
                [new ValidationProblem($"$.{field}", "has no canonical JSON form: a number beyond the range of a double, or a string that is not valid Unicode")]);
        }

        var template = await templates.FindAsync(start.Template, cancellationToken);
        if (template is null)
        {
            return new AdmissionOutcome.TemplateNotFound(start.Template);
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
            return new AdmissionOutcome.Refused(budget.IsAccepted ? "invalid_inputs" : "invalid_budget", problems);
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
            run.EventSeq = 1;
            journal.Append(new RunEventEntry(run.CorrelationId, 1, RunEventTypes.RunCreated, new()
            {
                ["template"] = template.Reference,
                ["templateHash"] = template.Hash,
                ["inputBundleHash"] = inputBundleHash,
                ["force"] = start.Options.Force,
                ["requestedBy"] = start.RequestedBy,
            }, "created", now));
            await StartAsync(run, publish, now, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await CommitAsync(transaction, cancellationToken);
            return new AdmissionOutcome.Created(run.CorrelationId, run.CurrentState);
        }
    }

    /// <summary>
    /// What <see cref="RunStateMachine"/> does for <see cref="RunAdmitted"/> in <c>Pending</c>, taken here: the run moves
    /// to where the step decided (Running, or Failed when the first dispatch is refused, e.g. over budget).
    /// </summary>
    private async Task StartAsync(RunRecord run, IPublishEndpoint publish, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var step = RunStep.ForAdmission(run, publish, journal, options.Value, loggers.CreateLogger<RunStep>(), now, cancellationToken);
        await step.StartAsync();
        run.CurrentState = run.Target?.ToString()
            ?? throw new InvalidOperationException($"Starting run {run.CorrelationId} decided no state.");
    }

    /// <summary>
    /// Where a child run sits: one below its parent, which must exist. The depth limit is the lower of the parent's
    /// <c>maxDepth</c> and the child's, so a subtree can tighten the limit but never widen it (the root's default is 3:
    /// runs at depth 0–3, a fourth level is refused).
    /// </summary>
    private async Task<(int Depth, string? Code, ValidationProblem? Problem)> LineageAsync(StartRun start, CancellationToken cancellationToken)
    {
        if (start.ParentRunId is not { } parentId)
        {
            return (0, null, null);
        }

        var parentRunId = await FindExistingAsync(parentId, cancellationToken);
        var parent = parentRunId is null
            ? null
            : await db.Runs.AsNoTracking().Where(r => r.CorrelationId == parentRunId).Select(r => r.Definition).SingleAsync(cancellationToken);
        if (parent is null)
        {
            return (0, "parent_run_not_found", new ValidationProblem("$.parentRunId", $"there is no run {parentId}"));
        }

        var depth = parent.Depth + 1;
        var limit = Math.Min(parent.Options.MaxDepth, start.Options.MaxDepth);
        return depth > limit
            ? (depth, "max_depth_exceeded", new ValidationProblem("$.parentRunId", $"a child of run {parentId} would be at depth {depth}, over the limit of {limit} (maxDepth)"))
            : (depth, null, null);
    }

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
        holder.EventSeq++;
        journal.Append(new RunEventEntry(holder.CorrelationId, holder.EventSeq, RunEventTypes.RunDeduplicated, new()
        {
            ["requestedRunId"] = start.RunId.ToString(),
            ["requestedBy"] = start.RequestedBy,
            ["state"] = holder.CurrentState,
        }, $"deduplicated:{start.RunId}", now));

        Guid? alias = null;
        if (start.RunId != holderId)
        {
            alias = start.RunId;
            var finished = holder.EndedAt is not null && holder.CurrentState == "Completed";
            db.RunAliases.Add(new RunAlias
            {
                AliasRunId = start.RunId,
                RunId = holderId,
                CreatedAt = now,
                PublishedGeneration = finished ? holder.Generation : 0,
            });
            if (finished)
            {
                var lastEvents = await journal.RecentEventsAsync(holderId, 20, cancellationToken);
                var message = RunFinishedMessage.From(holder, RunState.Completed, lastEvents, now);
                await publish.Publish(message with { RunId = start.RunId, AliasOf = holderId }, cancellationToken);
            }
        }

        return new AdmissionOutcome.Deduplicated(holderId, holder.CurrentState, alias);
    }

    private static RunRecord NewRun(StartRun start, WorkflowTemplate template, string inputBundleHash, Budget? budget, int depth, DateTimeOffset now)
    {
        var phases = RunPlanning.PhasesOf(template);
        return new RunRecord
        {
            CorrelationId = start.RunId,
            CurrentState = "Pending",
            CreatedAt = now,
            TemplateName = template.Name,
            TemplateVersion = template.Version,
            Labels = start.Options.Labels.ToDictionary(l => l.Key, l => l.Value),
            RequestedBy = start.RequestedBy,
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
