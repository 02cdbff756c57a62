using System.ComponentModel;
using System.Globalization;
using RunMesh.Cli.Api;
using RunMesh.Cli.Configuration;
using RunMesh.Cli.Output;
using Spectre.Console.Cli;

namespace RunMesh.Cli.Commands;

public sealed class StudyStartSettings : MeshSettings
{
    [CommandArgument(0, "<file>")]
    [Description("The study definition, JSON or YAML (by its extension).")]
    public string File { get; set; } = "";

    [CommandOption("--dry-run")]
    [Description("Validate and plan only; nothing starts.")]
    public bool DryRun { get; set; }
}

/// <summary><c>studies start &lt;file&gt;</c>: POST /api/studies (submitter).</summary>
public sealed class StudyStartCommand : MeshCommand<StudyStartSettings>
{
    protected override string Role => "submitter";

    private protected override async Task<int> RunAsync(MeshClient client, StudyStartSettings settings, CancellationToken cancellationToken)
    {
        var (text, mediaType) = Documents.Read(settings.File);
        var answer = await client.PostDocumentAsync(settings.DryRun ? "/api/studies?dryRun=true" : "/api/studies", text, mediaType, cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var study = answer.Object;
        var conditions = study["conditions"]?.AsArray().Count ?? 0;
        Terminal.Line(settings.DryRun
            ? $"study {Terminal.Str(study["studyId"])} (dry run): {Terminal.Str(study["plannedRuns"])} runs over {conditions} conditions; nothing started"
            : $"study {Terminal.Str(study["studyId"])} {Terminal.Str(study["state"])}: {Terminal.Str(study["plannedRuns"])} runs over {conditions} conditions");
        return ExitCodes.Success;
    }
}

public sealed class StudyListSettings : MeshSettings
{
    [CommandOption("--state <STATE>")]
    [Description("running, completed, failed, cancelled or budget_exhausted.")]
    public string? State { get; set; }

    [CommandOption("--label <KEY=VALUE>")]
    [Description("Only studies with this label.")]
    public string? Label { get; set; }

    [CommandOption("--limit <N>")]
    [Description("At most this many.")]
    public int? Limit { get; set; }
}

/// <summary><c>studies list</c>: GET /api/studies.</summary>
public sealed class StudyListCommand : MeshCommand<StudyListSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, StudyListSettings settings, CancellationToken cancellationToken)
    {
        string? label = null;
        if (settings.Label is { } raw)
        {
            var (key, value) = KeyValueArguments.Split(raw, "--label");
            label = $"{key}:{value}";
        }

        var answer = await client.GetAsync(
            Query.Of("/api/studies", ("state", settings.State), ("label", label), ("limit", settings.Limit?.ToString(CultureInfo.InvariantCulture))),
            cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var table = Terminal.Table("study", "name", "state", "template", "runs", "completed", "failed", "created");
        foreach (var study in answer.Object["items"]!.AsArray())
        {
            table.Row(
                Terminal.Str(study?["studyId"]), Terminal.Str(study?["name"]), Terminal.Str(study?["state"]), Terminal.Str(study?["template"]),
                Terminal.Str(study?["plannedRuns"]), Terminal.Str(study?["counts"]?["completed"]), Terminal.Str(study?["counts"]?["failed"]),
                Terminal.When(study?["createdAt"]));
        }

        Terminal.Write(table);
        return ExitCodes.Success;
    }
}

public class StudyIdSettings : MeshSettings
{
    [CommandArgument(0, "<studyId>")]
    [Description("The study's id.")]
    public string StudyId { get; set; } = "";
}

/// <summary><c>studies show &lt;id&gt;</c>: GET /api/studies/{studyId}, with a table per condition.</summary>
public sealed class StudyShowCommand : MeshCommand<StudyIdSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, StudyIdSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync($"/api/studies/{Segment(settings.StudyId)}", cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var study = answer.Object;
        var counts = study["counts"];
        Terminal.Line($"study {Terminal.Str(study["studyId"])} {Terminal.Str(study["name"])}: {Terminal.Str(study["state"])}  "
            + $"template {Terminal.Str(study["template"])}  runs {Terminal.Str(study["plannedRuns"])}  "
            + $"completed {Terminal.Str(counts?["completed"])}  failed {Terminal.Str(counts?["failed"])}  "
            + $"cancelled {Terminal.Str(counts?["cancelled"])}  running {Terminal.Str(counts?["running"])}  pending {Terminal.Str(counts?["pending"])}");
        var table = Terminal.Table("condition", "factors", "completed", "failed", "p50 ms", "p95 ms", "mean cost $");
        foreach (var condition in study["conditions"]?.AsArray() ?? [])
        {
            table.Row(
                Terminal.Str(condition?["conditionId"]), condition?["factors"]?.ToJsonString(),
                Terminal.Str(condition?["counts"]?["completed"]), Terminal.Str(condition?["counts"]?["failed"]),
                Terminal.Str(condition?["durationMs"]?["p50"]), Terminal.Str(condition?["durationMs"]?["p95"]),
                Terminal.Str(condition?["costUsd"]?["mean"]));
        }

        Terminal.Write(table);
        return ExitCodes.Success;
    }
}

public sealed class StudyResultsSettings : StudyIdSettings
{
    [CommandOption("--format <FORMAT>")]
    [Description("ndjson (default), csv or parquet.")]
    public string Format { get; set; } = "ndjson";

    [CommandOption("--output <FILE>")]
    [Description("Write to this file instead of standard output (required for parquet on a terminal).")]
    public string? Output { get; set; }
}

/// <summary><c>studies results &lt;id&gt;</c>: GET /api/studies/{studyId}/runs, one row per run.</summary>
public sealed class StudyResultsCommand : MeshCommand<StudyResultsSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, StudyResultsSettings settings, CancellationToken cancellationToken)
    {
        var accept = settings.Format switch
        {
            "ndjson" => "application/x-ndjson",
            "csv" => "text/csv",
            "parquet" => "application/vnd.apache.parquet",
            _ => throw new UsageException($"--format must be ndjson, csv or parquet; got '{settings.Format}'."),
        };
        if (settings.Format == "parquet" && settings.Output is null && !Console.IsOutputRedirected)
        {
            throw new UsageException("Parquet is binary: pass --output <file> (or redirect standard output).");
        }

        var bytes = await client.GetBytesAsync($"/api/studies/{Segment(settings.StudyId)}/runs", accept, cancellationToken);
        if (settings.Output is { } path)
        {
            await File.WriteAllBytesAsync(path, bytes, cancellationToken);
            if (!settings.Json)
            {
                Terminal.Error($"wrote {bytes.Length} bytes to {path}");
            }
        }
        else
        {
            await using var stdout = Console.OpenStandardOutput();
            await stdout.WriteAsync(bytes, cancellationToken);
        }

        return ExitCodes.Success;
    }
}

/// <summary><c>studies cancel &lt;id&gt;</c>: POST /api/studies/{studyId}/cancel.</summary>
public sealed class StudyCancelCommand : MeshCommand<StudyIdSettings>
{
    protected override string Role => "submitter";

    private protected override async Task<int> RunAsync(MeshClient client, StudyIdSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.PostJsonAsync($"/api/studies/{Segment(settings.StudyId)}/cancel", new System.Text.Json.Nodes.JsonObject(), cancellationToken);
        Terminal.Line(settings.Json ? answer.Text : $"study {settings.StudyId}: cancel requested ({Terminal.Str(answer.Json?["state"])})");
        return ExitCodes.Success;
    }
}

/// <summary><c>studies watch &lt;id&gt;</c>: follows the study's event stream to its end.</summary>
public sealed class StudyWatchCommand : MeshCommand<StudyIdSettings>
{
    protected override string Role => "viewer";

    private protected override Task<int> RunAsync(MeshClient client, StudyIdSettings settings, CancellationToken cancellationToken) =>
        StudyWatch.WatchAsync(client, settings.StudyId, settings.Json, cancellationToken);
}
