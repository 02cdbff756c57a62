using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using RunMesh.Cli.Configuration;
using RunMesh.Cli.Output;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RunMesh.Cli.Commands;

public sealed class RunStartSettings : MeshSettings
{
    [CommandArgument(0, "<template>")]
    [Description("name@version or sha256:…")]
    public string Template { get; set; } = "";

    [CommandOption("--input <KEY=VALUE>")]
    [Description("An input; the value is JSON when it parses as JSON, else a string. Repeatable.")]
    public string[] Inputs { get; set; } = [];

    [CommandOption("--inputs-file <FILE>")]
    [Description("A JSON object of inputs; --input values go on top.")]
    public string? InputsFile { get; set; }

    [CommandOption("--model <KEY=VALUE>")]
    [Description("A model setting (name, temperature, …), JSON-typed like --input. Repeatable.")]
    public string[] Model { get; set; } = [];

    [CommandOption("--label <KEY=VALUE>")]
    [Description("A label (a string). Repeatable.")]
    public string[] Labels { get; set; } = [];

    [CommandOption("--force")]
    [Description("Start a new run even when an identical one exists.")]
    public bool Force { get; set; }

    [CommandOption("--idempotency-key <KEY>")]
    [Description("Sent as Idempotency-Key: the same key and body answer the same run.")]
    public string? IdempotencyKey { get; set; }

    [CommandOption("--watch")]
    [Description("Follow the run to its end (exit 0 when it completed, 1 otherwise).")]
    public bool Watch { get; set; }

    [CommandOption("--approve")]
    [Description("With --watch: approve each gate as it is reached, with the approver's key (--key, else RUNMESH_APPROVER_KEY).")]
    public bool Approve { get; set; }

    public override ValidationResult Validate() =>
        Approve && !Watch ? ValidationResult.Error("--approve decides gates while watching: add --watch.") : ValidationResult.Success();
}

/// <summary><c>runs start</c>: POST /api/runs (submitter), optionally followed by <c>runs watch</c>.</summary>
public sealed class RunStartCommand : MeshCommand<RunStartSettings>
{
    protected override string Role => "submitter";

    private protected override async Task<int> RunAsync(MeshClient client, RunStartSettings settings, CancellationToken cancellationToken)
    {
        var body = StartBody(settings);
        var headers = settings.IdempotencyKey is { Length: > 0 } key ? new Dictionary<string, string> { ["Idempotency-Key"] = key } : null;
        var answer = await client.PostJsonAsync("/api/runs", body, cancellationToken, headers);
        var runId = Terminal.Str(answer.Object["runId"]);
        if (settings.Json)
        {
            Terminal.Json(answer.Json!.ToJsonString());
        }
        else
        {
            var deduplicated = answer.Object["deduplicated"]?.GetValue<bool>() == true ? " (deduplicated: an identical run)" : "";
            Terminal.Line($"run {runId} {Terminal.Str(answer.Object["state"])}{deduplicated}");
        }

        if (!settings.Watch)
        {
            return ExitCodes.Success;
        }

        using var gates = Gates(client, settings, settings.Approve);
        return await RunWatch.WatchAsync(client, runId, settings.Json, gates, cancellationToken);
    }

    /// <summary>The body of POST /api/runs from the options; empty parts are left out (the API refuses null).</summary>
    internal static JsonObject StartBody(RunStartSettings settings)
    {
        var inputs = KeyValueArguments.Merge(
            settings.InputsFile is { } file ? KeyValueArguments.ReadObjectFile(file, "--inputs-file") : null, settings.Inputs, "--input");
        var model = KeyValueArguments.Merge(null, settings.Model, "--model");
        var body = new JsonObject { ["template"] = settings.Template, ["inputs"] = inputs };
        if (model.Count > 0)
        {
            body["model"] = model;
        }

        var options = new JsonObject();
        if (settings.Force)
        {
            options["force"] = true;
        }

        if (settings.Labels.Length > 0)
        {
            options["labels"] = KeyValueArguments.Labels(settings.Labels);
        }

        if (options.Count > 0)
        {
            body["options"] = options;
        }

        return body;
    }
}

public sealed class RunListSettings : MeshSettings
{
    [CommandOption("--state <STATE>")]
    [Description("pending, running, awaitingApproval, completed, failed, aborted or cancelled.")]
    public string? State { get; set; }

    [CommandOption("--template <TEMPLATE>")]
    [Description("name (any version) or name@version.")]
    public string? Template { get; set; }

    [CommandOption("--label <KEY=VALUE>")]
    [Description("Only runs with this label. Repeatable (all must match).")]
    public string[] Labels { get; set; } = [];

    [CommandOption("--limit <N>")]
    [Description("At most this many (1–200, default 50).")]
    public int? Limit { get; set; }
}

/// <summary><c>runs list</c>: GET /api/runs, newest first.</summary>
public sealed class RunListCommand : MeshCommand<RunListSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, RunListSettings settings, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, string?)>
        {
            ("state", settings.State), ("template", settings.Template), ("limit", settings.Limit?.ToString(CultureInfo.InvariantCulture)),
        };
        foreach (var label in settings.Labels)
        {
            var (key, value) = KeyValueArguments.Split(label, "--label");
            parameters.Add(("label", $"{key}:{value}"));
        }

        var answer = await client.GetAsync(Query.Of("/api/runs", [.. parameters]), cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var table = Terminal.Table("run", "state", "template", "created", "duration", "error");
        foreach (var run in answer.Object["items"]!.AsArray())
        {
            table.Row(
                Terminal.Str(run?["runId"]), Terminal.Str(run?["state"]),
                $"{Terminal.Str(run?["template"]?["name"])}@{Terminal.Str(run?["template"]?["version"])}",
                Terminal.When(run?["createdAt"]), Terminal.Between(run?["startedAt"], run?["endedAt"]),
                Terminal.Str(run?["error"]?["code"]));
        }

        Terminal.Write(table);
        return ExitCodes.Success;
    }
}

public class RunIdSettings : MeshSettings
{
    [CommandArgument(0, "<runId>")]
    [Description("The run's id (or an alias of it).")]
    public string RunId { get; set; } = "";
}

/// <summary><c>runs show &lt;id&gt;</c>: GET /api/runs/{runId}.</summary>
public sealed class RunShowCommand : MeshCommand<RunIdSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, RunIdSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync($"/api/runs/{Segment(settings.RunId)}", cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var run = answer.Object;
        var summary = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"run {Terminal.Str(run["runId"])}: {Terminal.Str(run["state"])}")
            .Append(CultureInfo.InvariantCulture, $"  template {Terminal.Str(run["template"]?["name"])}@{Terminal.Str(run["template"]?["version"])}")
            .Append(CultureInfo.InvariantCulture, $"  created {Terminal.When(run["createdAt"])}");
        if (run["endedAt"] is not null)
        {
            summary.Append(CultureInfo.InvariantCulture, $"  took {Terminal.Between(run["startedAt"], run["endedAt"])}");
        }

        Terminal.Line(summary.ToString());
        if (run["error"] is JsonObject error)
        {
            Terminal.Line($"error {Terminal.Str(error["code"])}: {Terminal.Str(error["message"])}");
        }

        var table = Terminal.Table("phase", "state", "attempts", "duration", "artifact");
        foreach (var phase in run["phases"]!.AsArray())
        {
            table.Row(
                Terminal.Str(phase?["key"]), Terminal.Str(phase?["state"]), Terminal.Str(phase?["attempts"]),
                phase?["startedAt"] is null ? "" : Terminal.Between(phase["startedAt"], phase["endedAt"]),
                Terminal.Str(phase?["artifactDigest"]));
        }

        Terminal.Write(table);
        return ExitCodes.Success;
    }
}

public sealed class RunWatchSettings : RunIdSettings
{
    [CommandOption("--approve")]
    [Description("Approve each gate as it is reached, with the approver's key (--key, else RUNMESH_APPROVER_KEY).")]
    public bool Approve { get; set; }
}

/// <summary><c>runs watch &lt;id&gt;</c>: follows the run's event stream to its end, deciding its gates when asked to.</summary>
public sealed class RunWatchCommand : MeshCommand<RunWatchSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, RunWatchSettings settings, CancellationToken cancellationToken)
    {
        using var gates = Gates(client, settings, settings.Approve);
        return await RunWatch.WatchAsync(client, settings.RunId, settings.Json, gates, cancellationToken);
    }
}

public sealed class RunCancelSettings : RunIdSettings
{
    [CommandOption("--reason <TEXT>")]
    [Description("Why; kept in the run's error and event log.")]
    public string? Reason { get; set; }
}

/// <summary><c>runs cancel &lt;id&gt;</c>: POST /api/runs/{runId}/cancel.</summary>
public sealed class RunCancelCommand : MeshCommand<RunCancelSettings>
{
    protected override string Role => "submitter";

    private protected override async Task<int> RunAsync(MeshClient client, RunCancelSettings settings, CancellationToken cancellationToken)
    {
        var body = settings.Reason is { Length: > 0 } reason ? new JsonObject { ["reason"] = reason } : [];
        var answer = await client.PostJsonAsync($"/api/runs/{Segment(settings.RunId)}/cancel", body, cancellationToken);
        Terminal.Line(settings.Json ? answer.Text : $"run {settings.RunId}: cancel requested ({Terminal.Str(answer.Json?["state"])})");
        return ExitCodes.Success;
    }
}

/// <summary><c>runs retry &lt;id&gt;</c>: POST /api/runs/{runId}/retry.</summary>
public sealed class RunRetryCommand : MeshCommand<RunIdSettings>
{
    protected override string Role => "submitter";

    private protected override async Task<int> RunAsync(MeshClient client, RunIdSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.PostJsonAsync($"/api/runs/{Segment(settings.RunId)}/retry", new JsonObject(), cancellationToken);
        Terminal.Line(settings.Json ? answer.Text : $"run {settings.RunId}: retry requested ({Terminal.Str(answer.Json?["state"])})");
        return ExitCodes.Success;
    }
}

public sealed class RunArtifactSettings : RunIdSettings
{
    [CommandArgument(1, "<phase>")]
    [Description("The phase's key.")]
    public string Phase { get; set; } = "";

    [CommandOption("--attempt <N>")]
    [Description("That attempt's output, valid or not (default: the accepted artifact).")]
    public int? Attempt { get; set; }
}

/// <summary><c>runs artifact &lt;id&gt; &lt;phase&gt;</c>: GET /api/runs/{runId}/artifacts/{phase}.</summary>
public sealed class RunArtifactCommand : MeshCommand<RunArtifactSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, RunArtifactSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync(
            Query.Of($"/api/runs/{Segment(settings.RunId)}/artifacts/{Segment(settings.Phase)}", ("attempt", settings.Attempt?.ToString(CultureInfo.InvariantCulture))),
            cancellationToken);
        Terminal.Json(settings.Json ? answer.Text : Terminal.Pretty(answer.Json));
        return ExitCodes.Success;
    }
}

public sealed class RunReportSettings : RunIdSettings
{
    [CommandOption("--markdown")]
    [Description("The report as Markdown (report.md) instead of JSON.")]
    public bool Markdown { get; set; }
}

/// <summary><c>runs report &lt;id&gt;</c>: GET /api/runs/{runId}/report (or /report.md).</summary>
public sealed class RunReportCommand : MeshCommand<RunReportSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, RunReportSettings settings, CancellationToken cancellationToken)
    {
        if (settings.Markdown)
        {
            var markdown = await client.GetBytesAsync($"/api/runs/{Segment(settings.RunId)}/report.md", "text/markdown", cancellationToken);
            Console.Out.Write(Encoding.UTF8.GetString(markdown));
            return ExitCodes.Success;
        }

        var answer = await client.GetAsync($"/api/runs/{Segment(settings.RunId)}/report", cancellationToken);
        Terminal.Json(settings.Json ? answer.Text : Terminal.Pretty(answer.Json));
        return ExitCodes.Success;
    }
}
