namespace RunMesh.Testing.Infrastructure;

/// <summary>
/// The broker users of deploy/rabbitmq/permissions.conf — one per service and the outside-system user — with the
/// permissions that file gives them. Every end-to-end mesh runs its services as these users, so a permission a service
/// lacks fails the tests, not a deployment.
/// </summary>
public static class BrokerUsers
{
    /// <summary>The outside-system user (<c>RUNMESH_AMQP_URL</c>).</summary>
    public const string OutsideSystem = "runmesh-external";

    private static readonly Lazy<IReadOnlyList<BrokerUser>> s_all = new(Read);

    /// <summary>Every user of permissions.conf, in its order.</summary>
    public static IReadOnlyList<BrokerUser> All => s_all.Value;

    /// <summary>The user of service <paramref name="service"/> (<c>orchestrator</c>, <c>phase-worker</c>, …).</summary>
    public static BrokerUser OfService(string service) =>
        All.SingleOrDefault(user => user.Name == $"runmesh-{service}")
        ?? throw new ArgumentException($"deploy/rabbitmq/permissions.conf has no user runmesh-{service}.", nameof(service));

    /// <summary>The file the users come from.</summary>
    public static string FilePath => Path.Combine(RepositoryPaths.Root, "deploy", "rabbitmq", "permissions.conf");

    private static List<BrokerUser> Read() =>
        [.. File.ReadLines(FilePath)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Select(fields => fields.Length == 4
                ? new BrokerUser(fields[0], fields[1], fields[2], fields[3])
                : throw new InvalidOperationException($"{FilePath}: '{string.Join(' ', fields)}' is not '<user> <configure> <write> <read>'."))];
}

/// <summary>A broker user: its name (also its password, as in deploy/local/provision.sh) and its permission regexes.</summary>
public sealed record BrokerUser(string Name, string Configure, string Write, string Read)
{
    /// <summary>The password the local scripts and the tests give the user.</summary>
    public string Password => Name;
}
