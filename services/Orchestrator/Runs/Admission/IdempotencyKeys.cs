using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Runs.Admission;

/// <summary>
/// <c>Idempotency-Key</c> for <c>POST /api/runs</c>, scoped to the caller's identity and kept 24 h: the same key with
/// the same body answers the first answer again; with another body it is refused; while the first request is still in
/// progress a second one is told so. Each step is its own short transaction, so the key is visible to concurrent requests.
/// </summary>
public sealed class IdempotencyKeys(OrchestratorDbContext db, TimeProvider clock)
{
    /// <summary>How long a key is remembered.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a claim may stay unanswered before it counts as abandoned (its request died with its process between
    /// claim and answer) and the next request with the key takes it over, instead of getting 409 for a whole day.
    /// </summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(1);

    /// <summary>Claims the key for a request with <paramref name="requestHash"/>, or says what the earlier request decided.</summary>
    public async Task<IdempotencyClaim> ClaimAsync(string identity, string key, string requestHash, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            DELETE FROM idempotency_keys WHERE identity = {identity} AND key = {key}
              AND (expires_at <= {now} OR (response_status IS NULL AND created_at <= {now - AbandonedAfter}))
            """,
            cancellationToken);
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""
            INSERT INTO idempotency_keys (identity, key, request_hash, created_at, expires_at)
            VALUES ({identity}, {key}, {requestHash}, {now}, {now + Lifetime}) ON CONFLICT DO NOTHING
            """,
            cancellationToken);
        if (inserted == 1)
        {
            return new IdempotencyClaim.Claimed();
        }

        var earlier = await db.IdempotencyKeys.AsNoTracking().SingleAsync(r => r.Identity == identity && r.Key == key, cancellationToken);
        if (earlier.RequestHash != requestHash)
        {
            return new IdempotencyClaim.KeyReused();
        }

        return earlier.ResponseStatus is { } status && earlier.ResponseBody is { } body
            ? new IdempotencyClaim.Replay(status, body)
            : new IdempotencyClaim.InProgress();
    }

    /// <summary>Records the answer given under the key.</summary>
    public Task CompleteAsync(string identity, string key, int status, JsonObject body, CancellationToken cancellationToken)
    {
        var json = body.ToJsonString();
        return db.Database.ExecuteSqlInterpolatedAsync(
            $"UPDATE idempotency_keys SET response_status = {status}, response_body = {json}::jsonb WHERE identity = {identity} AND key = {key}",
            cancellationToken);
    }

    /// <summary>Forgets the key after the request failed without an answer worth repeating, so the client may try again.</summary>
    public Task ReleaseAsync(string identity, string key, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlInterpolatedAsync(
            $"DELETE FROM idempotency_keys WHERE identity = {identity} AND key = {key} AND response_status IS NULL", cancellationToken);
}

/// <summary>What <see cref="IdempotencyKeys.ClaimAsync"/> found.</summary>
public abstract record IdempotencyClaim
{
    private IdempotencyClaim()
    {
    }

    /// <summary>The key is new: go on, then <see cref="IdempotencyKeys.CompleteAsync"/>.</summary>
    public sealed record Claimed : IdempotencyClaim;

    /// <summary>The same request was answered before: answer the same.</summary>
    public sealed record Replay(int Status, JsonObject Body) : IdempotencyClaim;

    /// <summary>The same request is still being handled (409).</summary>
    public sealed record InProgress : IdempotencyClaim;

    /// <summary>The key was used for another request body (422 <c>idempotency_key_reused</c>).</summary>
    public sealed record KeyReused : IdempotencyClaim;
}
