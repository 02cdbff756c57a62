namespace RunMesh.Cli.Configuration;

/// <summary>
/// The <c>.runmesh/env</c> file that <c>deploy/local/mesh.sh</c> writes: <c>KEY=VALUE</c> lines (the gateway's URL and one
/// API key per role). Blank lines and <c>#</c> comments are skipped; an <c>export </c> prefix and quotes around the value
/// are allowed, as a shell would read them.
/// </summary>
internal static class EnvFile
{
    /// <summary>The path of the env file, relative to a directory.</summary>
    public static readonly string RelativePath = Path.Combine(".runmesh", "env");

    /// <summary>The nearest <c>.runmesh/env</c> at <paramref name="directory"/> or above it, or null.</summary>
    public static string? Find(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The variables of an env file's text.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            variables[line[..equals].Trim()] = value;
        }

        return variables;
    }
}
