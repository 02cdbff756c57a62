using System.Text.RegularExpressions;
using Npgsql;

namespace RunMesh.EndToEnd.Tests.Gateway;

/// <summary><c>/metrics</c> answers without authentication, so it names no database host, database or user.</summary>
[Collection(GatewayMesh.Name)]
public sealed class MetricsTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("orchestrator")]
    [InlineData("approval")]
    [InlineData("report")]
    public async Task A_database_service_metrics_name_no_connection_details(string service)
    {
        var connection = new NpgsqlConnectionStringBuilder(fixture.Mesh.DatabaseOf(service).ConnectionString);

        var metrics = await fixture.Mesh.Service(service).Http.GetStringAsync("/metrics");

        metrics.ShouldContain("db_client_connection_count", Case.Sensitive, "Npgsql's pool metrics are exported");
        metrics.ShouldNotContain("Host=", Case.Insensitive);
        metrics.ShouldNotContain("Username", Case.Insensitive);
        metrics.ShouldNotContain("Password", Case.Insensitive);
        metrics.ShouldNotContain(connection.Database!, Case.Sensitive);
        // The user name as a label value or part of one ("postgres" is also a prefix of db_system_name="postgresql").
        Regex.IsMatch(metrics, $"[=;\"]{Regex.Escape(connection.Username!)}[;\"]").ShouldBeFalse();
    }
}
