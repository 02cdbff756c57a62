using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Runs.Api;

/// <summary>The validated query of <c>GET /api/runs</c>.</summary>
internal sealed record RunListQuery
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>The stored state name (<c>AwaitingApproval</c>) of each JSON name (<c>awaitingApproval</c>).</summary>
    private static readonly Dictionary<string, string> s_stateNames =
        Enum.GetValues<RunState>().ToDictionary(RunJson.WireName, state => state.ToString(), StringComparer.Ordinal);

    /// <summary>The stored state name to match, if any.</summary>
    public string? StateName { get; init; }

    public string? TemplateName { get; init; }

    public int? TemplateVersion { get; init; }

    /// <summary>Each label as a one-member JSON object, matched by <c>jsonb</c> containment; all must match.</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>Only the children of this run (<c>?parent=</c>).</summary>
    public Guid? ParentRunId { get; init; }

    public int Limit { get; init; } = DefaultLimit;

    public RunListCursor? After { get; init; }

    /// <summary>Reads the query, or names the parameter that is wrong in <paramref name="error"/>.</summary>
    public static RunListQuery? Parse(
        string? state, string? template, string[]? label, string? parent, string? limit, string? cursor, out string? error)
    {
        error = null;
        Guid? parentRunId = null;
        if (parent is not null)
        {
            if (!Guid.TryParse(parent, out var parsed))
            {
                error = $"Query parameter 'parent' must be a run id (a UUID); got '{Shorten(parent)}'.";
                return null;
            }

            parentRunId = parsed;
        }

        string? stateName = null;
        if (state is not null && (stateName = s_stateNames.GetValueOrDefault(state)) is null)
        {
            error = $"Query parameter 'state' must be one of {string.Join(", ", s_stateNames.Keys)}.";
            return null;
        }

        string? templateName = null;
        int? templateVersion = null;
        if (template is not null)
        {
            var at = template.LastIndexOf('@');
            templateName = at < 0 ? template : template[..at];
            if (at >= 0)
            {
                if (!int.TryParse(template[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
                {
                    error = "Query parameter 'template' must be a name or name@version with a positive integer version.";
                    return null;
                }

                templateVersion = version;
            }

            if (templateName.Length is 0 or > 63)
            {
                error = "Query parameter 'template' must be a name (1 to 63 characters) or name@version.";
                return null;
            }
        }

        var labels = new List<string>();
        foreach (var pair in label ?? [])
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = $"Query parameter 'label' must be key:value (got '{Shorten(pair)}').";
                return null;
            }

            labels.Add(new JsonObject { [pair[..colon]] = pair[(colon + 1)..] }.ToJsonString());
        }

        var pageSize = DefaultLimit;
        if (limit is not null
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            error = $"Query parameter 'limit' must be an integer from 1 to {MaxLimit}.";
            return null;
        }

        RunListCursor? after = null;
        if (cursor is not null && (after = RunListCursor.Decode(cursor)) is null)
        {
            error = "Query parameter 'cursor' is not a cursor this API returned.";
            return null;
        }

        return new RunListQuery
        {
            StateName = stateName,
            TemplateName = templateName,
            TemplateVersion = templateVersion,
            Labels = labels,
            ParentRunId = parentRunId,
            Limit = pageSize,
            After = after,
        };
    }

    private static string Shorten(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "…");
}

/// <summary>
/// The keyset position after the last run of a page: its <c>(created_at, run_id)</c>. Opaque to clients
/// (base64url of the creation time in ticks and the run id).
/// </summary>
internal sealed record RunListCursor(DateTimeOffset CreatedAt, Guid RunId)
{
    private const int Size = 8 + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteInt64BigEndian(bytes, CreatedAt.UtcTicks);
        RunId.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static RunListCursor? Decode(string cursor)
    {
        Span<byte> bytes = stackalloc byte[Size + 3];
        // TryDecodeFromChars throws on characters outside the alphabet: check first, so garbage is a 400, not a 500.
        if (cursor.Length > 64 || !Base64Url.IsValid(cursor, out var length) || length != Size
            || !Base64Url.TryDecodeFromChars(cursor, bytes, out var written) || written != Size)
        {
            return null;
        }

        var ticks = BinaryPrimitives.ReadInt64BigEndian(bytes);
        return ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks
            ? null
            : new RunListCursor(new DateTimeOffset(ticks, TimeSpan.Zero), new Guid(bytes[8..Size], bigEndian: true));
    }
}
