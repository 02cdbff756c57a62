using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace RunMesh.Messaging.Tests;

/// <summary>
/// Which failures the retry in front of the inbox/outbox runs again: lost races and a database that went away or is
/// restarting (found by the reliability suite: a PostgreSQL restart sent messages to <c>_error</c>), but not a bug.
/// </summary>
public sealed class TransientDatabaseFailureTests
{
    [Theory]
    [InlineData("40001")] // serialization_failure
    [InlineData("40P01")] // deadlock_detected
    [InlineData("23505")] // unique_violation (a concurrent saga insert)
    [InlineData("57P01")] // admin_shutdown: the server is stopping or restarting
    [InlineData("57P03")] // cannot_connect_now: starting up or recovering
    [InlineData("08006")] // connection_failure
    [InlineData("08003")] // connection_does_not_exist
    [InlineData("08000")] // connection_exception
    public void A_lost_race_or_a_server_that_went_away_is_transient(string sqlState)
    {
        TransientDatabaseFailure.IsTransient(Server(sqlState)).ShouldBeTrue(sqlState);
    }

    [Theory]
    [InlineData("42P01")] // undefined_table
    [InlineData("22P02")] // invalid_text_representation
    [InlineData("23503")] // foreign_key_violation
    [InlineData("42601")] // syntax_error
    public void A_bug_or_bad_data_is_not_transient(string sqlState)
    {
        TransientDatabaseFailure.IsTransient(Server(sqlState)).ShouldBeFalse(sqlState);
    }

    [Fact]
    public void A_shutdown_wrapped_by_ef_core_is_transient()
    {
        var wrapped = new DbUpdateException("An error occurred while saving the entity changes.", Server("57P01"));

        TransientDatabaseFailure.IsTransient(wrapped).ShouldBeTrue();
    }

    [Fact]
    public void A_dropped_connection_is_transient()
    {
        TransientDatabaseFailure.IsTransient(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())).ShouldBeTrue();
        TransientDatabaseFailure.IsTransient(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))).ShouldBeTrue();
        TransientDatabaseFailure.IsTransient(new InvalidOperationException("outer", new IOException("Unable to read data"))).ShouldBeTrue();
        TransientDatabaseFailure.IsTransient(new TimeoutException()).ShouldBeTrue();
    }

    [Fact]
    public void An_ordinary_exception_is_not_transient()
    {
        TransientDatabaseFailure.IsTransient(new InvalidOperationException("a bug")).ShouldBeFalse();
        TransientDatabaseFailure.IsTransient(new ArgumentException("bad", new FormatException())).ShouldBeFalse();
    }

    private static PostgresException Server(string sqlState) => new("test", "FATAL", "FATAL", sqlState);
}
