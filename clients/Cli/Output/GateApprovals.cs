using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using RunMesh.Cli.Api;
using Spectre.Console;

namespace RunMesh.Cli.Output;

/// <summary>How a watch treats the gates it meets.</summary>
internal enum GateHandling
{
    /// <summary>Shows them; someone else decides (<c>runmesh approvals approve</c>, the console).</summary>
    Show,

    /// <summary><c>--approve</c>: approves each pending request as soon as it is known.</summary>
    Approve,

    /// <summary>A person at a terminal: asks approve, reject or comment for each pending request.</summary>
    Prompt,
}

/// <summary>
/// Decides the gates of a watched run with the approver's key. The run's <c>approval.requested</c> event is written
/// before the approval service has consumed the request, so a request the service does not know yet is read again
/// until it does. Requests already decided (met again when a stream is replayed from its start) are left alone, and each
/// request is handled once.
/// </summary>
internal sealed class GateApprovals(MeshClient approver, GateHandling handling) : IDisposable
{
    private static readonly TimeSpan s_arrivalLimit = TimeSpan.FromSeconds(60);
    private readonly HashSet<string> _handled = [];

    public GateHandling Handling { get; private set; } = handling;

    /// <summary>Why prompting stopped (the key may not decide), for a note once the watch ends.</summary>
    public string? Note { get; private set; }

    /// <summary>The request of an <c>approval.requested</c> event when it is still pending and not handled yet; otherwise null.</summary>
    public async Task<JsonObject?> PendingAsync(StreamEvent requested, CancellationToken cancellationToken)
    {
        var requestId = Terminal.Str(requested.Json["payload"]?["requestId"]);
        if (Handling == GateHandling.Show || requestId.Length == 0 || !_handled.Add(requestId))
        {
            return null;
        }

        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var request = (await approver.GetAsync($"/api/approvals/{Uri.EscapeDataString(requestId)}", cancellationToken)).Object;
                return Terminal.Str(request["state"]) == "pending" ? request : null;
            }
            catch (MeshApiException notYet) when (notYet.Status == HttpStatusCode.NotFound && waited.Elapsed < s_arrivalLimit)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
            catch (MeshApiException refused) when (Handling == GateHandling.Prompt && refused.ExitCode == ExitCodes.Refused)
            {
                // A viewer watching is not asked what it may not decide.
                Handling = GateHandling.Show;
                Note = $"runmesh: gates are not offered for a decision here: the approver's key was refused ({(int)refused.Status}). "
                    + "Pass --key with an approver's key, or set RUNMESH_APPROVER_KEY.";
                return null;
            }
        }
    }

    /// <summary>Sends a decision; null when someone else decided first (409), which the run's events will show.</summary>
    public async Task<JsonObject?> DecideAsync(JsonObject request, string action, string? comment, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["action"] = action };
        if (!string.IsNullOrWhiteSpace(comment))
        {
            body["comment"] = comment;
        }

        try
        {
            var requestId = Uri.EscapeDataString(Terminal.Str(request["requestId"]));
            return (await approver.PostJsonAsync($"/api/approvals/{requestId}/decision", body, cancellationToken)).Object;
        }
        catch (MeshApiException conflict) when (conflict.Status == HttpStatusCode.Conflict)
        {
            return null;
        }
    }

    /// <summary>Asks the person at the terminal what to do with a pending request, and does it.</summary>
    public async Task PromptAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var gate = Terminal.Str(request["gate"]);
        var phase = Terminal.Str(request["phaseKey"]);
        var preview = request["artifactPreview"] is { } artifact ? Terminal.Pretty(artifact) : "(no preview)";
        AnsiConsole.Write(new Panel(new Text(preview))
            .Header(new PanelHeader(Markup.Escape($"gate {gate} of phase {phase}, attempt {Terminal.Str(request["attempt"])}: the artifact")))
            .Border(BoxBorder.Rounded));
        const string Later = "decide later (keep watching)";
        var choice = await new SelectionPrompt<string>()
            .Title($"Decide gate [bold]{Markup.Escape(gate)}[/] of phase [bold]{Markup.Escape(phase)}[/]:")
            .AddChoices("approve", "reject", "comment and approve", "comment and reject", Later)
            .ShowAsync(AnsiConsole.Console, cancellationToken);
        if (choice == Later)
        {
            return;
        }

        var action = choice.EndsWith("approve", StringComparison.Ordinal) ? "approve" : "reject";
        var comment = choice.StartsWith("comment", StringComparison.Ordinal)
            ? await new TextPrompt<string>("Comment:").AllowEmpty().ShowAsync(AnsiConsole.Console, cancellationToken)
            : null;
        var decided = await DecideAsync(request, action, comment, cancellationToken);
        AnsiConsole.Console.WriteLine(decided is null
            ? $"request {Terminal.Str(request["requestId"])} was decided meanwhile by someone else"
            : $"request {Terminal.Str(request["requestId"])}: {action} by {Terminal.Str(decided["decision"]?["decidedBy"])}");
    }

    public void Dispose() => approver.Dispose();
}
