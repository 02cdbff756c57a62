using System.Net.Sockets;
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

    /// <summary>SQLSTATE sent to every session when the server shuts down (<c>pg_ctl stop -m fast</c>, a restart).</summary>
    public const string AdminShutdown = "57P01";

    /// <summary>SQLSTATE of a server that is starting up, shutting down or recovering.</summary>
    public const string CannotConnectNow = "57P03";

    /// <summary>SQLSTATE class of connection exceptions (08000, 08003, 08006, …).</summary>
    public const string ConnectionExceptionClass = "08";

    /// <summary>
    /// True for serialization failures and deadlocks (the transaction lost a race and will very likely succeed
    /// when run again), for a concurrent insert of the same saga (run again, the second message loads the row the
    /// first one inserted), and for a server that went away or is not back yet: a shutdown or restart (57P01,
    /// 57P03, class 08), failures Npgsql marks as transient, and the socket, I/O and end-of-stream errors of a
    /// connection that dropped mid-statement. Walks inner exceptions, since EF Core wraps them in
    /// <c>DbUpdateException</c>.
    /// </summary>
    public static bool IsTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return IsTransientState(postgres.SqlState) || postgres.IsTransient;
                case NpgsqlException { IsTransient: true }:
                case TimeoutException:
                case SocketException:
                case EndOfStreamException:
                case IOException:
                    return true;
            }
        }

        return false;
    }

    /// <summary>True for the SQLSTATEs <see cref="IsTransient"/> retries.</summary>
    public static bool IsTransientState(string? sqlState) =>
        sqlState is SerializationFailure or DeadlockDetected or UniqueViolation or AdminShutdown or CannotConnectNow
        || (sqlState is { Length: 5 } && sqlState.StartsWith(ConnectionExceptionClass, StringComparison.Ordinal));

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
