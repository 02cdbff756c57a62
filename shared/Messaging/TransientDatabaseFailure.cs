using Npgsql;

namespace RunMesh.Messaging;

/// <summary>Which database failures are worth running the whole transaction again for.</summary>
public static class TransientDatabaseFailure
{
    /// <summary>SQLSTATE of a serialization failure.</summary>
    public const string SerializationFailure = "40001";

    /// <summary>SQLSTATE of a detected deadlock.</summary>
    public const string DeadlockDetected = "40P01";

    /// <summary>SQLSTATE of a unique violation.</summary>
    public const string UniqueViolation = "23505";

    /// <summary>
    /// True for serialization failures and deadlocks (the transaction lost a race and will very likely succeed
    /// when run again), for a concurrent insert of the same saga (run again, the second message loads the row the
    /// first one inserted), and for connection failures Npgsql marks as transient. Walks inner exceptions, since
    /// EF Core wraps them in <c>DbUpdateException</c>.
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException { SqlState: SerializationFailure or DeadlockDetected or UniqueViolation }:
                    return true;
                case PostgresException:
                    return false;
                case NpgsqlException { IsTransient: true }:
                    return true;
                case TimeoutException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="exception"/> is (or wraps) a unique violation.</summary>
    public static bool IsUniqueViolation(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException { SqlState: UniqueViolation })
            {
                return true;
            }
        }

        return false;
    }
}
