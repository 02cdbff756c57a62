using System.ComponentModel.DataAnnotations;

namespace RunMesh.Hosting;

/// <summary>Which service this process is; used for telemetry resource names and diagnostics.</summary>
public sealed class ServiceIdentity
{
    /// <summary>The service name in lower case, e.g. <c>orchestrator</c>.</summary>
    [Required]
    [RegularExpression("^[a-z][a-z0-9-]*$")]
    public string Name { get; set; } = "";
}
