using System.ComponentModel;
using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using RunMesh.Cli.Output;
using Spectre.Console.Cli;

namespace RunMesh.Cli.Commands;

public sealed class ApprovalListSettings : MeshSettings
{
    [CommandOption("--state <STATE>")]
    [Description("pending (default), approved, rejected, aborted, expired, closed, or all.")]
    public string State { get; set; } = "pending";

    [CommandOption("--run <RUNID>")]
    [Description("Only this run's requests.")]
    public string? RunId { get; set; }

    [CommandOption("--limit <N>")]
    [Description("At most this many (1–200, default 50).")]
    public int? Limit { get; set; }
}

/// <summary><c>approvals list</c>: GET /api/approvals (approver), oldest first.</summary>
public sealed class ApprovalListCommand : MeshCommand<ApprovalListSettings>
{
    protected override string Role => "approver";

    private protected override async Task<int> RunAsync(MeshClient client, ApprovalListSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync(
            Query.Of("/api/approvals", ("state", settings.State == "all" ? null : settings.State), ("runId", settings.RunId),
                ("limit", settings.Limit?.ToString(CultureInfo.InvariantCulture))),
            cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var table = Terminal.Table("request", "run", "phase", "attempt", "gate", "state", "requested", "decision");
        foreach (var item in answer.Object["items"]!.AsArray())
        {
            var decision = item?["decision"] is JsonObject d ? $"{Terminal.Str(d["action"])} by {Terminal.Str(d["decidedBy"])}" : "";
            table.Row(
                Terminal.Str(item?["requestId"]), Terminal.Str(item?["runId"]), Terminal.Str(item?["phaseKey"]),
                Terminal.Str(item?["attempt"]), Terminal.Str(item?["gate"]), Terminal.Str(item?["state"]),
                Terminal.When(item?["requestedAt"]), decision);
        }

        Terminal.Write(table);
        return ExitCodes.Success;
    }
}

public sealed class ApprovalDecisionSettings : MeshSettings
{
    [CommandArgument(0, "<requestId>")]
    [Description("The approval request's id (approvals list).")]
    public string RequestId { get; set; } = "";

    [CommandOption("--comment <TEXT>")]
    [Description("Kept with the decision (at most 2,000 characters).")]
    public string? Comment { get; set; }
}

/// <summary><c>approvals approve|reject &lt;requestId&gt;</c>: POST /api/approvals/{requestId}/decision.</summary>
public abstract class ApprovalDecisionCommand : MeshCommand<ApprovalDecisionSettings>
{
    protected override string Role => "approver";

    /// <summary><c>approve</c> or <c>reject</c>.</summary>
    protected abstract string Action { get; }

    private protected override async Task<int> RunAsync(MeshClient client, ApprovalDecisionSettings settings, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["action"] = Action };
        if (settings.Comment is { Length: > 0 } comment)
        {
            body["comment"] = comment;
        }

        var answer = await client.PostJsonAsync($"/api/approvals/{Segment(settings.RequestId)}/decision", body, cancellationToken);
        var decision = answer.Object["decision"];
        Terminal.Line(settings.Json
            ? answer.Text
            : $"request {settings.RequestId}: {Terminal.Str(decision?["action"])} by {Terminal.Str(decision?["decidedBy"])} "
                + $"(run {Terminal.Str(answer.Object["runId"])}, gate {Terminal.Str(answer.Object["gate"])})");
        return ExitCodes.Success;
    }
}

/// <summary><c>approvals approve</c>.</summary>
public sealed class ApprovalApproveCommand : ApprovalDecisionCommand
{
    protected override string Action => "approve";
}

/// <summary><c>approvals reject</c>.</summary>
public sealed class ApprovalRejectCommand : ApprovalDecisionCommand
{
    protected override string Action => "reject";
}
