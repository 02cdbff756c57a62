namespace RunMesh.Cli;

/// <summary>The exit codes a script can branch on (docs/cli.md, "Exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked (a watched run or study completed).</summary>
    public const int Success = 0;

    /// <summary>A watched run or study ended in another state than <c>completed</c>, or the mesh answered an unexpected error.</summary>
    public const int NotCompleted = 1;

    /// <summary>The command line (or a file it names) could not be used as given, or the API refused the request as malformed (400).</summary>
    public const int Usage = 2;

    /// <summary>The API answered 404.</summary>
    public const int NotFound = 3;

    /// <summary>The API refused the request: 401, 403, 409 or 422.</summary>
    public const int Refused = 4;

    /// <summary>The mesh could not be reached at its URL (or its gateway answered 502/503/504).</summary>
    public const int Unreachable = 5;
}
