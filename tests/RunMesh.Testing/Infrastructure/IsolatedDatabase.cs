using Npgsql;

namespace RunMesh.Testing.Infrastructure;

/// <summary>A fresh PostgreSQL database on the shared server, created for one test class and dropped afterwards.</summary>
public sealed class IsolatedDatabase : IAsyncDisposable
{
    private readonly string _adminConnectionString;

    private IsolatedDatabase(string adminConnectionString, string name)
    {
        _adminConnectionString = adminConnectionString;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString)
        {
            Database = name,
            // Short enough that a cut connection shows up in readiness quickly.
            Timeout = 5,
        }.ConnectionString;
    }

    /// <summary>The database name (<c>t_…</c>).</summary>
    public string Name { get; }

    /// <summary>A connection string to it, as the server's superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates a database named after <paramref name="purpose"/> and a random suffix.</summary>
    public static async Task<IsolatedDatabase> CreateAsync(TestServers servers, string purpose)
    {
        // At most 2 + 20 + 1 + 16 characters: well inside PostgreSQL's 63.
        var name = $"t_{Sanitize(purpose)}_{Guid.NewGuid():N}"[..(3 + Sanitize(purpose).Length + 16)];
        await using var connection = new NpgsqlConnection(servers.PostgresAdmin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0", connection);
        await create.ExecuteNonQueryAsync();
        return new IsolatedDatabase(servers.PostgresAdmin, name);
    }

    /// <summary>Opens a connection to this database.</summary>
    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_adminConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private static string Sanitize(string purpose)
    {
        var clean = new string(purpose.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_').ToArray());
        return clean.Length > 20 ? clean[..20] : clean;
    }
}
