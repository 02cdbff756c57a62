using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RunMesh.Hosting.Health;

/// <summary>Writes a health report as a small JSON document (<see cref="HealthReportView"/>): overall status and one line per check.</summary>
/// <remarks>Exception text is left out on purpose: it can carry connection strings.</remarks>
internal static class HealthResponseWriter
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web);

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new HealthReportView(
            StatusOf(report.Status),
            report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new HealthCheckView(StatusOf(entry.Value.Status), entry.Value.Description, Math.Round(entry.Value.Duration.TotalMilliseconds, 1))));
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, s_options));
    }

    private static string StatusOf(HealthStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>The answer of <c>/health/live</c> and <c>/health/ready</c>.</summary>
/// <param name="Status">The overall status: <c>healthy</c> (200), or <c>degraded</c> / <c>unhealthy</c> (503 on <c>/health/ready</c>).</param>
/// <param name="Checks">Each check by name.</param>
public sealed record HealthReportView(
    [property: AllowedValues("healthy", "degraded", "unhealthy")] string Status,
    IReadOnlyDictionary<string, HealthCheckView> Checks);

/// <summary>One check of a <see cref="HealthReportView"/>.</summary>
/// <param name="Status"><c>healthy</c>, <c>degraded</c> or <c>unhealthy</c>.</param>
/// <param name="Description">What the check found, if it says (never an exception's text).</param>
/// <param name="DurationMs">How long it took.</param>
public sealed record HealthCheckView(
    [property: AllowedValues("healthy", "degraded", "unhealthy")] string Status,
    string? Description,
    double DurationMs);
