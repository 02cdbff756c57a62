using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hosting.Paging;

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

    /// <summary>Only runs created at or after this instant (<c>?createdAfter=</c>).</summary>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Only runs created before this instant (<c>?createdBefore=</c>).</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    public int Limit { get; init; } = DefaultLimit;

    public KeysetCursor? After { get; init; }

    /// <summary>Reads the query, or names the parameter that is wrong in <paramref name="error"/>.</summary>
    public static RunListQuery? Parse(
        string? state, string? template, string[]? label, string? parent, string? createdAfter, string? createdBefore, string? limit,
        string? cursor, out string? error)
    {
        error = null;
        DateTimeOffset? after = null, before = null;
        if (createdAfter is not null && (after = Rfc3339.Parse(createdAfter)) is null)
        {
            error = InvalidInstant("createdAfter", createdAfter);
            return null;
        }

        if (createdBefore is not null && (before = Rfc3339.Parse(createdBefore)) is null)
        {
            error = InvalidInstant("createdBefore", createdBefore);
            return null;
        }

        if (after >= before)
        {
            error = $"Query parameter 'createdAfter' ({after:O}) must be earlier than 'createdBefore' ({before:O}).";
            return null;
        }

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

        KeysetCursor? position = null;
        if (cursor is not null && (position = KeysetCursor.Decode(cursor)) is null)
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
            CreatedAfter = after,
            CreatedBefore = before,
            Limit = pageSize,
            After = position,
        };
    }

    private static string InvalidInstant(string parameter, string value) =>
        $"Query parameter '{parameter}' must be an RFC 3339 date and time with an offset, e.g. 2026-11-23T07:20:00Z or "
        + $"2026-11-23T08:20:00%2B01:00 (a '+' in a URL is sent as %2B); got '{Shorten(value)}'.";

    private static string Shorten(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "…");
}
