namespace RunMesh.Messaging.Tests.Infrastructure;

public sealed record RecordDeposit(Guid AccountId, decimal Amount, bool Fail = false, string? FailFirstAttemptWith = null);

public sealed record DepositRecorded(Guid AccountId, decimal Amount);

public sealed record EmitSteps(Guid BatchId, int Count, bool FailFirstDelivery = false);

public sealed record StepEmitted(Guid BatchId, int Index);

public sealed record OpenCounter(Guid CounterId);

public sealed record IncrementCounter(Guid CounterId);
