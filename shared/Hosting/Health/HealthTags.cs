namespace RunMesh.Hosting.Health;

/// <summary>Tags that decide which health endpoint runs a check.</summary>
public static class HealthTags
{
    /// <summary>Checks that say the process itself works (<c>/health/live</c>).</summary>
    public const string Live = "live";

    /// <summary>Checks of what the service depends on (<c>/health/ready</c>).</summary>
    public const string Ready = "ready";
}
