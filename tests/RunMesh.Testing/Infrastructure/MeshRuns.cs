using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;

namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// The steps end-to-end tests take on a running mesh, the way a client would (through the gateway with the role's
/// key), plus reads of a service's own database for what only the database can show.
/// </summary>
public static class MeshRuns
{
    /// <summary>Registers each YAML template as the admin; each must be created (201).</summary>
    public static async Task RegisterTemplatesAsync(this MeshHarness mesh, params string[] templates)
    {
        var admin = mesh.GatewayClient("admin");
        foreach (var template in templates)
        {
            using var response = await admin.PostAsync("/api/templates", new StringContent(template, Encoding.UTF8, "application/yaml"));
            await ExpectAsync(response, HttpStatusCode.Created, "registering a template");
        }
    }

    /// <summary>A start body for <paramref name="template"/> whose feature no other run has (so it is never deduplicated).</summary>
    public static JsonObject NewRunBody(string template, JsonObject? options = null, Guid? parentRunId = null)
    {
        var body = new JsonObject
        {
            ["template"] = template,
            ["inputs"] = new JsonObject { ["feature"] = $"feature {Guid.NewGuid():N}" },
        };
        if (options is not null)
        {
            body["options"] = options;
        }

        if (parentRunId is not null)
        {
            body["parentRunId"] = parentRunId.ToString();
        }

        return body;
    }

    /// <summary>Starts a run of <paramref name="template"/> as the submitter (202 expected) and returns its id.</summary>
    public static async Task<Guid> StartRunAsync(this MeshHarness mesh, string template, JsonObject? options = null, Guid? parentRunId = null)
    {
        using var response = await mesh.GatewayClient("submitter").PostAsJsonAsync("/api/runs", NewRunBody(template, options, parentRunId));
        var text = await ExpectAsync(response, HttpStatusCode.Accepted, "starting a run");
        return Guid.Parse(JsonNode.Parse(text)!["runId"]!.GetValue<string>());
    }

    /// <summary>The run as <c>GET /api/runs/{runId}</c> shows it to a viewer.</summary>
    public static async Task<JsonObject> GetRunAsync(this MeshHarness mesh, Guid runId)
    {
        using var response = await mesh.GatewayClient("viewer").GetAsync($"/api/runs/{runId}");
        return JsonNode.Parse(await ExpectAsync(response, HttpStatusCode.OK, $"reading run {runId}"))!.AsObject();
    }

    /// <summary>Waits until the run's state (JSON name, e.g. <c>completed</c>) is <paramref name="state"/>, and returns the run.</summary>
    public static async Task<JsonObject> WaitForRunStateAsync(this MeshHarness mesh, Guid runId, string state, int seconds = 90)
    {
        JsonObject? run = null;
        await Eventually.UntilAsync(
            async () => (run = await mesh.GetRunAsync(runId))["state"]!.GetValue<string>() == state,
            TimeSpan.FromSeconds(seconds),
            $"run {runId} to be {state}",
            () => $"last seen: {run?.ToJsonString()}{Environment.NewLine}{mesh.LogTails(20)}");
        return run!;
    }

    /// <summary>Every event of the run (up to 1,000), in seq order, as <c>/events</c> shows them.</summary>
    public static async Task<List<JsonObject>> RunEventsAsync(this MeshHarness mesh, Guid runId)
    {
        using var response = await mesh.GatewayClient("viewer").GetAsync($"/api/runs/{runId}/events?limit=1000");
        var page = JsonNode.Parse(await ExpectAsync(response, HttpStatusCode.OK, $"reading the events of run {runId}"))!;
        return [.. page["items"]!.AsArray().Select(e => e!.AsObject())];
    }

    /// <summary>A scalar (e.g. a count) over the own database of service <paramref name="service"/>; SQL NULL is <c>default</c>.</summary>
    public static async Task<T> ScalarAsync<T>(this MeshHarness mesh, string service, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await mesh.DatabaseOf(service).OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync() is { } result and not DBNull ? (T)result : default!;
    }

    private static async Task<string> ExpectAsync(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        return response.StatusCode == expected
            ? text
            : throw new InvalidOperationException($"{what}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
    }
}
