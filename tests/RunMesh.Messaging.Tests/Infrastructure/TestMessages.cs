namespace RunMesh.Messaging.Tests.Infrastructure;

public sealed record RecordDeposit(Guid AccountId, decimal Amount, bool Fail = false, string? FailFirstAttemptWith = null);

public sealed record DepositRecorded(Guid AccountId, decimal Amount);

/// <summary>Publishes <see cref="DepositRecorded"/> and writes nothing: see <see cref="AnnounceDepositConsumer"/>.</summary>
public sealed record AnnounceDeposit(Guid AccountId, decimal Amount);

public sealed record EmitSteps(Guid BatchId, int Count, bool FailFirstDelivery = false);

public sealed record StepEmitted(Guid BatchId, int Index);

public sealed record OpenCounter(Guid CounterId, string? Name = null);

public sealed record IncrementCounter(Guid CounterId);

/// <summary>Increments the counter whose name matches: the saga is found by a query on its row, not by its id.</summary>
public sealed record IncrementCounterNamed(string Name);

public sealed record CloseCounter(Guid CounterId);

/// <summary>Where <see cref="CrashingDepositConsumer"/> makes its process "die" on the message's first delivery.</summary>
public enum CrashPoint
{
    /// <summary>After the handler's work, before its transaction commits.</summary>
    BeforeCommit,

    /// <summary>After the commit and the delivery of what it stored, before the broker message is acknowledged.</summary>
    BeforeAcknowledge,
}

public sealed record CrashingDeposit(Guid AccountId, decimal Amount, CrashPoint Crash);
