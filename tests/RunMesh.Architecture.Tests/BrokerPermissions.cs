using System.Text.RegularExpressions;
using RunMesh.Testing.Infrastructure;

namespace RunMesh.Architecture.Tests;

/// <summary>One broker user of deploy/rabbitmq/permissions.conf: what it may configure, write (publish to) and read.</summary>
public sealed record BrokerUser(string Name, Regex Configure, Regex Write, Regex Read)
{
    /// <summary>The <c>RunMesh.Contracts:X</c> exchanges the user may publish to, by contract name.</summary>
    public IReadOnlyList<string> WritableContracts => BrokerPermissions.ContractNames(Write);

    /// <summary>The <c>RunMesh.Contracts:X</c> exchanges the user may bind from, by contract name.</summary>
    public IReadOnlyList<string> ReadableContracts => BrokerPermissions.ContractNames(Read);
}

/// <summary>deploy/rabbitmq/permissions.conf, the permissions every mesh (local, tests, Kubernetes) gives its broker users.</summary>
public static partial class BrokerPermissions
{
    public const string RelativePath = "deploy/rabbitmq/permissions.conf";

    /// <summary>The user outside systems get (<c>RUNMESH_AMQP_URL</c>).</summary>
    public const string OutsideSystemUser = "runmesh-external";

    public static IReadOnlyDictionary<string, BrokerUser> Read() =>
        File.ReadAllLines(Path.Combine(RepositoryPaths.Root, RelativePath))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new BrokerUser(f[0], new Regex(f[1]), new Regex(f[2]), new Regex(f[3])))
            .ToDictionary(u => u.Name);

    /// <summary>The broker user of a service.</summary>
    public static string UserOf(string service) => $"runmesh-{service}";

    internal static IReadOnlyList<string> ContractNames(Regex permission)
    {
        var names = new List<string>();
        foreach (Match match in ContractExchanges().Matches(permission.ToString()))
        {
            names.AddRange(match.Groups["names"].Value.Trim('(', ')').Split('|'));
        }

        return names.Order(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"RunMesh\\\.Contracts:(?<names>\([A-Za-z|]+\)|[A-Za-z]+)")]
    private static partial Regex ContractExchanges();
}
