using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace RunMesh.Messaging.Tests.Infrastructure;

/// <summary>Keeps the warnings a host logs, with when they happened, so a test can assert on them.</summary>
public sealed class LogRecorder : ILoggerProvider
{
    private static readonly Stopwatch s_clock = Stopwatch.StartNew();

    public ConcurrentQueue<(string EventName, TimeSpan At)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void Dispose()
    {
    }

    private sealed class Recorder(LogRecorder owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner.Entries.Enqueue((eventId.Name ?? "", s_clock.Elapsed));
            }
        }
    }
}
