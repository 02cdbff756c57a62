using RunMesh.Cli.Api;
using RunMesh.Cli.Commands;
using RunMesh.Cli.Configuration;
using RunMesh.Cli.Output;
using Spectre.Console.Cli;

namespace RunMesh.Cli;

/// <summary>The command tree (nouns, then verbs) and how failures become one line on stderr and an exit code.</summary>
internal static class CommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("runmesh");
            config.PropagateExceptions();
            config.AddBranch("templates", templates =>
            {
                templates.SetDescription("Workflow templates.");
                templates.AddCommand<TemplateRegisterCommand>("register").WithDescription("Register a template (JSON or YAML file).")
                    .WithExample("templates", "register", "spec-review.yaml");
                templates.AddCommand<TemplateListCommand>("list").WithDescription("List templates, newest first.");
                templates.AddCommand<TemplateShowCommand>("show").WithDescription("Show a template.").WithExample("templates", "show", "spec-review@1");
            });
            config.AddBranch("runs", runs =>
            {
                runs.SetDescription("Runs of templates.");
                runs.AddCommand<RunStartCommand>("start").WithDescription("Start a run.")
                    .WithExample("runs", "start", "spec-review@1", "--input", "tone=formal", "--watch");
                runs.AddCommand<RunListCommand>("list").WithDescription("List runs, newest first.");
                runs.AddCommand<RunShowCommand>("show").WithDescription("Show a run and its phases.");
                runs.AddCommand<RunWatchCommand>("watch").WithDescription("Follow a run to its end (exit 0 completed, 1 otherwise).");
                runs.AddCommand<RunCancelCommand>("cancel").WithDescription("Cancel a run.");
                runs.AddCommand<RunRetryCommand>("retry").WithDescription("Retry a failed run from its failed phase.");
                runs.AddCommand<RunArtifactCommand>("artifact").WithDescription("Print a phase's artifact.");
                runs.AddCommand<RunReportCommand>("report").WithDescription("Print a run's report.");
            });
            config.AddBranch("approvals", approvals =>
            {
                approvals.SetDescription("Human gates.");
                approvals.AddCommand<ApprovalListCommand>("list").WithDescription("List approval requests (pending by default).");
                approvals.AddCommand<ApprovalApproveCommand>("approve").WithDescription("Approve a request.");
                approvals.AddCommand<ApprovalRejectCommand>("reject").WithDescription("Reject a request (the run fails).");
            });
            config.AddBranch("studies", studies =>
            {
                studies.SetDescription("Studies: one template over a grid of conditions.");
                studies.AddCommand<StudyStartCommand>("start").WithDescription("Start a study (JSON or YAML file).");
                studies.AddCommand<StudyListCommand>("list").WithDescription("List studies, newest first.");
                studies.AddCommand<StudyShowCommand>("show").WithDescription("Show a study's progress per condition.");
                studies.AddCommand<StudyWatchCommand>("watch").WithDescription("Follow a study to its end (exit 0 completed, 1 otherwise).");
                studies.AddCommand<StudyResultsCommand>("results").WithDescription("Download one row per run (NDJSON, CSV or Parquet).");
                studies.AddCommand<StudyCancelCommand>("cancel").WithDescription("Cancel a study.");
            });
        });

        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        try
        {
            return await app.RunAsync(args, interrupt.Token);
        }
        catch (MeshApiException problem)
        {
            Report(problem);
            return problem.ExitCode;
        }
        catch (MeshUnreachableException unreachable)
        {
            Terminal.Error($"runmesh: cannot reach the mesh at {unreachable.Url} ({unreachable.Reason})");
            return ExitCodes.Unreachable;
        }
        catch (UsageException usage)
        {
            Terminal.Error($"runmesh: {usage.Message}");
            return ExitCodes.Usage;
        }
        catch (CommandAppException usage)
        {
            Terminal.Error($"runmesh: {usage.Message} (runmesh --help lists the commands)");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Terminal.Error("runmesh: interrupted");
            return 130;
        }
    }

    /// <summary>A problem as people read it: <c>title (status): detail</c>, then each of its <c>errors</c>.</summary>
    private static void Report(MeshApiException problem)
    {
        var document = problem.Problem;
        var title = document?["title"]?.ToString() ?? problem.Status.ToString();
        var detail = document?["detail"]?.ToString();
        var code = document?["code"]?.ToString();
        Terminal.Error($"runmesh: {title} ({(int)problem.Status}{(code is null ? "" : $" {code}")}){(detail is null ? "" : $": {detail}")}");
        foreach (var error in document?["errors"]?.AsArray() ?? [])
        {
            Terminal.Error(error is System.Text.Json.Nodes.JsonObject e
                ? $"  {e["path"]}: {e["message"]}"
                : $"  {error}");
        }
    }
}
