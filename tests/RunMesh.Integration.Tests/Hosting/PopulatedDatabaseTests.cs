using Npgsql;

namespace RunMesh.Integration.Tests.Hosting;

/// <summary>Services start on databases that already hold data from earlier lives: bugs hide there.</summary>
public sealed class PopulatedDatabaseTests
{
    [Theory]
    [InlineData("orchestrator", "Orchestrator")]
    [InlineData("approval", "Approval")]
    [InlineData("report", "Report")]
    public async Task Service_restarts_on_a_database_it_already_migrated_and_keeps_its_rows(string name, string project)
    {
        var servers = await TestServers.GetAsync();
        await using var database = await IsolatedDatabase.CreateAsync(servers, $"populated_{name}");
        await using var vhost = await IsolatedVirtualHost.CreateAsync(servers, $"populated-{name}");
        await using var service = new ServiceProcess(name, project, new Dictionary<string, string>
        {
            ["RabbitMq:Url"] = vhost.AmqpUrl.ToString(),
            ["ConnectionStrings:Database"] = database.ConnectionString,
        });
        service.Start();
        await service.WaitUntilReadyAsync();

        var messageId = Guid.NewGuid();
        await using (var db = await database.OpenAsync())
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO inbox_state (message_id, consumer_id, lock_id, received, receive_count) VALUES (@id, @id, @id, now(), 1)", db);
            insert.Parameters.AddWithValue("id", messageId);
            (await insert.ExecuteNonQueryAsync()).ShouldBe(1);
        }

        await service.RestartAsync();

        await using (var db = await database.OpenAsync())
        {
            await using var count = new NpgsqlCommand("SELECT count(*) FROM inbox_state WHERE message_id = @id", db);
            count.Parameters.AddWithValue("id", messageId);
            ((long)(await count.ExecuteScalarAsync())!).ShouldBe(1);

            await using var migrations = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", db);
            ((long)(await migrations.ExecuteScalarAsync())!).ShouldBeGreaterThan(0);
        }
    }
}
