namespace RunMesh.Messaging;

/// <summary>Timestamps as Postgres <c>timestamptz</c> wants them (Npgsql refuses non-UTC kinds).</summary>
internal static class UtcClock
{
    public static DateTime Now(TimeProvider clock) => clock.GetUtcNow().UtcDateTime;

    public static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}
