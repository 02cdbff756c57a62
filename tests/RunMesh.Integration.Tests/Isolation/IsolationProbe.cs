using System.Text;
using Npgsql;
using RabbitMQ.Client;

namespace RunMesh.Integration.Tests.Isolation;

/// <summary>
/// What two test classes do at the same time, with the same queue and table names, each in its own vhost and
/// database: if isolation leaked, one would read the other's messages or rows.
/// </summary>
internal static class IsolationProbe
{
    public const string QueueName = "isolation-probe";
    private const int Messages = 200;

    /// <summary>Both classes wait here (bounded) so that their traffic overlaps in time.</summary>
    private static readonly Barrier s_rendezvous = new(2);

    public static async Task RunAsync(string marker)
    {
        var servers = await TestServers.GetAsync();
        await using var database = await IsolatedDatabase.CreateAsync(servers, "isolation");
        await using var vhost = await IsolatedVirtualHost.CreateAsync(servers, "isolation");

        var factory = new ConnectionFactory { Uri = vhost.AmqpUrl };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(QueueName, durable: true, exclusive: false, autoDelete: false);

        await using (var db = await database.OpenAsync())
        {
            await Execute(db, "CREATE TABLE probe (marker text NOT NULL)");
        }

        // If the other class is not running (a filtered run), go on alone after the timeout.
        s_rendezvous.SignalAndWait(TimeSpan.FromSeconds(30));

        await using (var db = await database.OpenAsync())
        {
            for (var i = 0; i < Messages; i++)
            {
                await Execute(db, $"INSERT INTO probe VALUES ('{marker}')");
                await channel.BasicPublishAsync("", QueueName, Encoding.UTF8.GetBytes(marker));
            }
        }

        var received = new List<string>();
        await Eventually.UntilAsync(
            async () =>
            {
                while (await channel.BasicGetAsync(QueueName, autoAck: true) is { } message)
                {
                    received.Add(Encoding.UTF8.GetString(message.Body.Span));
                }

                return received.Count >= Messages;
            },
            TimeSpan.FromSeconds(30),
            $"{Messages} messages on {QueueName}");

        received.Count.ShouldBe(Messages);
        received.ShouldAllBe(m => m == marker);
        (await vhost.QueueDepthAsync(QueueName) ?? 0).ShouldBe(0);

        await using (var db = await database.OpenAsync())
        {
            await using var count = new NpgsqlCommand("SELECT count(*), count(*) FILTER (WHERE marker <> @marker) FROM probe", db);
            count.Parameters.AddWithValue("marker", marker);
            await using var reader = await count.ExecuteReaderAsync();
            await reader.ReadAsync();
            reader.GetInt64(0).ShouldBe(Messages);
            reader.GetInt64(1).ShouldBe(0, "rows of another test class are visible");
        }
    }

    private static async Task Execute(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }
}

public sealed class Parallel_isolation_first_class
{
    [Fact]
    public Task Sees_only_its_own_messages_and_rows() => IsolationProbe.RunAsync("first");
}

public sealed class Parallel_isolation_second_class
{
    [Fact]
    public Task Sees_only_its_own_messages_and_rows() => IsolationProbe.RunAsync("second");
}
