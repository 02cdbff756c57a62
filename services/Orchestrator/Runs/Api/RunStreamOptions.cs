using System.ComponentModel.DataAnnotations;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>Settings of <c>/events/stream</c> (configuration section <c>Orchestrator</c>, beside <see cref="OrchestratorOptions"/>).</summary>
internal sealed class RunStreamOptions
{
    /// <summary>How long an idle stream waits before it sends a <c>: heartbeat</c> comment.</summary>
    [Range(1, 3_600)]
    public int SseHeartbeatSeconds { get; set; } = 15;

    /// <summary>
    /// How often an open stream looks for new events while the notification connection is down
    /// (<see cref="RunEventSignals"/>). A poll reads the run row's event counter by primary key, and the event table only
    /// when the counter moved.
    /// </summary>
    [Range(10, 10_000)]
    public int SsePollMilliseconds { get; set; } = 200;

    /// <summary>
    /// While notifications arrive, a stream still reads this often without one: a safety net for a notification lost
    /// in a reconnect, not the way events are found.
    /// </summary>
    [Range(1, 3_600)]
    public int SseSafetyPollSeconds { get; set; } = 5;

    /// <summary>The settings in <paramref name="configuration"/>, refused at start when out of range.</summary>
    public static RunStreamOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(OrchestratorOptions.SectionName).Get<RunStreamOptions>() ?? new();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }
}
