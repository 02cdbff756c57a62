namespace RunMesh.Testing.Infrastructure;

/// <summary>Finds the repository from wherever the test assembly runs.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RunMesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"RunMesh.sln not found above {AppContext.BaseDirectory}.");
    });

    /// <summary>The repository root (where RunMesh.sln is).</summary>
    public static string Root => s_root.Value;

    /// <summary>The build configuration the tests were built with (Debug or Release), taken from the test assembly's path.</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";
}
