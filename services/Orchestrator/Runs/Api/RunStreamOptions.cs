using System.ComponentModel.DataAnnotations;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>Settings of <c>/events/stream</c> (configuration section <c>Orchestrator</c>, beside <see cref="OrchestratorOptions"/>).</summary>
internal sealed class RunStreamOptions
{
    /// <summary>How long an idle stream waits before it sends a <c>: heartbeat</c> comment.</summary>
    [Range(1, 3_600)]
    public int SseHeartbeatSeconds { get; set; } = 15;

    /// <summary>
    /// How often an open stream looks for new events. Polling the event table is correct across orchestrator replicas
    /// (the saga that appends may run in any of them); a poll reads the run row's event counter by primary key, and the
    /// event table only when the counter moved.
    /// </summary>
    [Range(10, 10_000)]
    public int SsePollMilliseconds { get; set; } = 200;

    /// <summary>The settings in <paramref name="configuration"/>, refused at start when out of range.</summary>
    public static RunStreamOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(OrchestratorOptions.SectionName).Get<RunStreamOptions>() ?? new();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }
}
