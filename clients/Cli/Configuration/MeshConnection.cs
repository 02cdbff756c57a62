namespace RunMesh.Cli.Configuration;

/// <summary>
/// Where the mesh is and which API key to send. Resolved in this order: <c>--url</c>/<c>--key</c>; the environment
/// (<c>RUNMESH_URL</c>, <c>RUNMESH_API_KEY</c>); the nearest <c>.runmesh/env</c> of the working directory or a parent.
/// <c>--as &lt;role&gt;</c> picks the role's key (<c>RUNMESH_&lt;ROLE&gt;_KEY</c>, from the environment or the env file)
/// instead of <c>RUNMESH_API_KEY</c>; with neither, the key of the lowest role the command needs is taken when the env
/// file (or the environment) has one.
/// </summary>
internal sealed record MeshConnection(Uri Url, string? ApiKey)
{
    /// <summary>The roles, lowest first (each includes those before it).</summary>
    public static readonly IReadOnlyList<string> Roles = ["viewer", "submitter", "approver", "admin"];

    /// <summary>Resolves the connection.</summary>
    /// <param name="url">The <c>--url</c> option.</param>
    /// <param name="key">The <c>--key</c> option.</param>
    /// <param name="role">The <c>--as</c> option.</param>
    /// <param name="commandRole">The lowest role the command needs.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="workingDirectory">Where to start looking for <c>.runmesh/env</c>.</param>
    public static MeshConnection Resolve(
        string? url, string? key, string? role, string commandRole, Func<string, string?> environment, string workingDirectory)
    {
        if (role is not null && !Roles.Contains(role))
        {
            throw new UsageException($"--as must be one of {string.Join(", ", Roles)}; got '{role}'.");
        }

        var envFilePath = EnvFile.Find(workingDirectory);
        var lookup = Sources(environment, envFilePath);

        var resolvedUrl = Nonempty(url) ?? lookup("RUNMESH_URL")
            ?? throw new UsageException(
                "No mesh URL: pass --url, set RUNMESH_URL, or run from a directory with a .runmesh/env (deploy/local/mesh.sh up writes it).");
        if (!Uri.TryCreate(resolvedUrl, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"The mesh URL must be an absolute http(s) URL; got '{resolvedUrl}'.");
        }

        var resolvedKey = Nonempty(key)
            ?? (role is not null
                ? lookup(RoleVariable(role)) ?? throw new UsageException(
                    $"--as {role}: no {RoleVariable(role)} in the environment or in {envFilePath ?? EnvFile.RelativePath}.")
                : lookup("RUNMESH_API_KEY") ?? lookup(RoleVariable(commandRole)));
        return new MeshConnection(parsed, resolvedKey);
    }

    /// <summary>
    /// The key that decides gates while a run is watched (<c>--approve</c>, or the prompt): <c>--key</c> when given,
    /// else the approver's key (<c>RUNMESH_APPROVER_KEY</c>, from the environment or <c>.runmesh/env</c>), else
    /// <c>RUNMESH_API_KEY</c>; null when there is none.
    /// </summary>
    public static string? ApproverKey(string? key, Func<string, string?> environment, string workingDirectory)
    {
        var lookup = Sources(environment, EnvFile.Find(workingDirectory));
        return Nonempty(key) ?? lookup(RoleVariable("approver")) ?? lookup("RUNMESH_API_KEY");
    }

    /// <summary>A variable from the environment, else from the env file; empty values count as missing.</summary>
    private static Func<string, string?> Sources(Func<string, string?> environment, string? envFilePath)
    {
        var file = envFilePath is null ? new Dictionary<string, string>() : EnvFile.Parse(File.ReadAllText(envFilePath));
        return name =>
            environment(name) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : file.TryGetValue(name, out var fromFile) && fromFile.Length > 0 ? fromFile
            : null;
    }

    /// <summary>The variable holding <paramref name="role"/>'s key in <c>.runmesh/env</c>: <c>RUNMESH_VIEWER_KEY</c>, ….</summary>
    public static string RoleVariable(string role) => $"RUNMESH_{role.ToUpperInvariant()}_KEY";

    private static string? Nonempty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
