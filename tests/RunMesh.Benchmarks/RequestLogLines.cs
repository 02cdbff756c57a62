namespace RunMesh.Benchmarks;

/// <summary>
/// Settings that turn off the per-request log lines of a service (ASP.NET Core's own and RunMesh's request line):
/// they cost every request alike, and the benchmarks measure the request path, not console logging. Everything else
/// (the run's event log lines) stays as shipped.
/// </summary>
internal static class RequestLogLines
{
    public static Dictionary<string, string> Off(Dictionary<string, string>? settings = null)
    {
        settings ??= [];
        settings["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Warning";
        settings["Logging:LogLevel:RunMesh.Hosting.Correlation"] = "Warning";
        return settings;
    }
}
