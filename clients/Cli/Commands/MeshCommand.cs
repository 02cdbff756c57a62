using System.ComponentModel;
using RunMesh.Cli.Api;
using RunMesh.Cli.Configuration;
using RunMesh.Cli.Output;
using Spectre.Console.Cli;

namespace RunMesh.Cli.Commands;

/// <summary>The options every command takes: where the mesh is, which key, and <c>--json</c>.</summary>
public class MeshSettings : CommandSettings
{
    [CommandOption("--url <URL>")]
    [Description("The gateway's URL (else RUNMESH_URL, else .runmesh/env).")]
    public string? Url { get; set; }

    [CommandOption("--key <KEY>")]
    [Description("The API key (else RUNMESH_API_KEY, else the role's key in .runmesh/env).")]
    public string? Key { get; set; }

    [CommandOption("--as <ROLE>")]
    [Description("Use the key of this role from the environment or .runmesh/env: viewer, submitter, approver or admin.")]
    public string? As { get; set; }

    [CommandOption("--json")]
    [Description("Print the API's JSON (one document; NDJSON for streams).")]
    public bool Json { get; set; }
}

/// <summary>A command that talks to the mesh: resolves the connection, then runs with a client.</summary>
public abstract class MeshCommand<TSettings> : AsyncCommand<TSettings>
    where TSettings : MeshSettings
{
    /// <summary>The lowest role the command needs; its key is used when neither <c>--key</c>, <c>--as</c> nor <c>RUNMESH_API_KEY</c> names one.</summary>
    protected abstract string Role { get; }

    public sealed override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        var connection = MeshConnection.Resolve(
            settings.Url, settings.Key, settings.As, Role, Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());
        using var client = new MeshClient(connection);
        return await RunAsync(client, settings, cancellationToken);
    }

    private protected abstract Task<int> RunAsync(MeshClient client, TSettings settings, CancellationToken cancellationToken);

    /// <summary>
    /// How a watch started by this command treats gates: <c>--approve</c> approves them with the approver's key; a
    /// person at a terminal (stdout and stdin both, no <c>--json</c>) is asked; otherwise they are only shown.
    /// </summary>
    private protected static GateApprovals Gates(MeshClient client, MeshSettings settings, bool approve)
    {
        var handling = approve ? GateHandling.Approve
            : !settings.Json && Terminal.IsInteractive && !Console.IsInputRedirected ? GateHandling.Prompt
            : GateHandling.Show;
        var key = MeshConnection.ApproverKey(settings.Key, Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());
        return new GateApprovals(new MeshClient(client.Connection with { ApiKey = key }), handling);
    }

    /// <summary>A path segment, escaped.</summary>
    private protected static string Segment(string value) => Uri.EscapeDataString(value);
}
