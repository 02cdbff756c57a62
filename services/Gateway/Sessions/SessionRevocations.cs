using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace RunMesh.Gateway.Sessions;

/// <summary>
/// The sessions signed out before their cookie expired. A cookie is valid by itself (it is encrypted and signed), so
/// signing out must be remembered for as long as a copy of the cookie could still be valid: the idle timeout after the
/// sign-out (a cookie is only renewed by a request that passed this check). With <see cref="SessionSettings.Directory"/>
/// set, each revocation is a file <c>revoked/&lt;session id&gt;</c> holding its expiry, checked on every request that
/// comes with a cookie: a restart keeps it, and every replica sharing the directory sees it at once. A revocation
/// seen once is also kept in memory. Without a directory the set is in memory only, and so is the key ring, so a
/// restart cannot bring a signed-out cookie back.
/// </summary>
internal sealed partial class SessionRevocations
{
    /// <summary>Replicas' clocks may differ a little: a revocation is kept this much longer than strictly needed.</summary>
    private static readonly TimeSpan s_clockMargin = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan s_pruneInterval = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _known = new(StringComparer.Ordinal);
    private readonly string? _directory;
    private readonly TimeSpan _keepFor;
    private readonly TimeProvider _clock;
    private readonly ILogger<SessionRevocations> _logger;
    private long _nextPruneTicks;

    public SessionRevocations(IOptions<GatewayOptions> options, TimeProvider clock, ILogger<SessionRevocations> logger)
    {
        var sessions = options.Value.Sessions;
        _keepFor = sessions.IdleTimeout + s_clockMargin;
        _clock = clock;
        _logger = logger;
        if (sessions.Directory is { } root)
        {
            _directory = Path.Combine(root, "revoked");
            SessionDirectories.CreatePrivate(_directory);
        }
    }

    /// <summary>Ends the session <paramref name="sessionId"/> for every cookie that carries it.</summary>
    public void Revoke(string sessionId)
    {
        if (!IsSessionId(sessionId))
        {
            return;
        }

        var now = _clock.GetUtcNow();
        var until = now + _keepFor;
        _known[sessionId] = until;
        if (_directory is not null)
        {
            File.WriteAllText(Path.Combine(_directory, sessionId), until.ToString("O", CultureInfo.InvariantCulture));
        }

        PruneIfDue(now);
    }

    /// <summary>Whether <paramref name="sessionId"/> was signed out (an id that is not one the gateway makes counts as signed out).</summary>
    public bool IsRevoked(string sessionId)
    {
        if (!IsSessionId(sessionId))
        {
            return true;
        }

        if (_known.ContainsKey(sessionId))
        {
            return true;
        }

        if (_directory is not null && File.Exists(Path.Combine(_directory, sessionId)))
        {
            _known[sessionId] = _clock.GetUtcNow() + _keepFor;
            return true;
        }

        return false;
    }

    /// <summary>A new session id: 128 random bits as 32 lower-case hex digits (also a safe file name).</summary>
    public static string NewSessionId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private static bool IsSessionId(string value) => value.Length == 32 && value.All(char.IsAsciiHexDigitLower);

    /// <summary>Forgets revocations whose cookies have all expired, at most every ten minutes.</summary>
    private void PruneIfDue(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextPruneTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextPruneTicks, (now + s_pruneInterval).UtcTicks, due) != due)
        {
            return;
        }

        foreach (var (id, until) in _known)
        {
            if (until < now)
            {
                _known.TryRemove(id, out _);
            }
        }

        if (_directory is null)
        {
            return;
        }

        var pruned = 0;
        foreach (var file in Directory.EnumerateFiles(_directory))
        {
            try
            {
                if (DateTimeOffset.TryParse(File.ReadAllText(file), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var until) && until < now)
                {
                    File.Delete(file);
                    pruned++;
                }
            }
            catch (IOException)
            {
                // Another replica pruned it first.
            }
        }

        if (pruned > 0)
        {
            LogPruned(_logger, pruned);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forgot {Count} revoked sessions whose cookies have all expired")]
    private static partial void LogPruned(ILogger logger, int count);
}
