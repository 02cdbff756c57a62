using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RunMesh.Hashing;
using RunMesh.Messaging;
using RunMesh.Orchestrator.Persistence;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// The store of registered templates (table <c>templates</c>): registration (immutable, content-addressed, identical
/// re-registration a no-op, safe under concurrent registrations), listing, reading, and resolving a run's template
/// reference (<c>name@version</c> or <c>sha256:…</c>) to a <see cref="WorkflowTemplate"/>.
/// </summary>
public sealed class TemplateRegistry(OrchestratorDbContext db, TimeProvider clock, ResolvedTemplates resolved)
{
    /// <summary>The most templates a page of <see cref="ListAsync"/> holds.</summary>
    public const int MaxPageSize = 200;

    /// <summary>The page size when the caller gives none.</summary>
    public const int DefaultPageSize = 50;

    // A hash names one content, so a template validated once can be reused for any row with that hash (the row is
    // still read: it says whether the template is registered). The bound only guards against an unusual number of them.
    private const int MaxLoadedTemplates = 1000;
    private static readonly ConcurrentDictionary<string, WorkflowTemplate> s_loaded = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads <paramref name="text"/> as <paramref name="contentType"/> says (JSON or YAML), validates it and stores it
    /// unless the same <c>name@version</c> is registered already: with the same hash that is a no-op
    /// (<see cref="TemplateRegistrationOutcome.Unchanged"/>), with another a <see cref="TemplateRegistrationOutcome.Conflict"/>.
    /// Two identical registrations at once give one <see cref="TemplateRegistrationOutcome.Created"/> and one
    /// <see cref="TemplateRegistrationOutcome.Unchanged"/>.
    /// </summary>
    public async Task<TemplateRegistration> RegisterAsync(string text, string? contentType, string? createdBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);

        var document = TemplateDocument.Parse(text, contentType);
        if (document.Json is null)
        {
            return new TemplateRegistration(TemplateRegistrationOutcome.Unreadable, Problems: document.Problems);
        }

        var validation = await TemplateValidator.ValidateAsync(document.Json, cancellationToken);
        if (validation.Template is not { } template)
        {
            return new TemplateRegistration(TemplateRegistrationOutcome.Invalid, Problems: validation.Problems);
        }

        var existing = await FindRowAsync(template.Name, template.Version, cancellationToken);
        if (existing is not null)
        {
            return Compare(existing, template);
        }

        var now = clock.GetUtcNow();
        var row = new TemplateRow
        {
            Name = template.Name,
            Version = template.Version,
            Hash = template.Hash,
            CanonicalJson = template.CanonicalJson,
            // PostgreSQL keeps microseconds: answer the time exactly as it will be read back (and paged by).
            CreatedAt = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero),
            CreatedBy = createdBy,
        };
        db.Templates.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (TransientDatabaseFailure.IsUniqueViolation(ex))
        {
            // A concurrent registration of the same name@version won the insert: answer as if it had come first.
            db.ChangeTracker.Clear();
            existing = await FindRowAsync(template.Name, template.Version, cancellationToken);
            if (existing is null)
            {
                throw;
            }

            return Compare(existing, template);
        }

        Remember(template);
        return new TemplateRegistration(TemplateRegistrationOutcome.Created, Summary: SummaryOf(row, template));
    }

    /// <summary>
    /// The template a run names: <paramref name="reference"/> is <c>name@version</c> (e.g. <c>spec-review@1</c>) or a
    /// template hash (<c>sha256:</c> and 64 hex digits). <see langword="null"/> when no registered template matches,
    /// also when the reference has neither form.
    /// </summary>
    public async Task<WorkflowTemplate?> FindAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);

        TemplateRow? row;
        var hash = reference.Trim();
        if (hash.StartsWith(Digest.Sha256Prefix, StringComparison.OrdinalIgnoreCase))
        {
            hash = Digest.Sha256Prefix + hash[Digest.Sha256Prefix.Length..].ToLowerInvariant();
            if (!Digest.IsValid(hash))
            {
                return null;
            }

            row = await db.Templates.AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash, cancellationToken);
        }
        else
        {
            var at = reference.LastIndexOf('@');
            if (at <= 0
                || !int.TryParse(reference.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version)
                || version < 1)
            {
                return null;
            }

            var name = reference[..at];
            if (resolved.Find(name, version) is { } known)
            {
                return known;
            }

            row = await FindRowAsync(name, version, cancellationToken);
            if (row is not null)
            {
                var template = await LoadAsync(row, cancellationToken);
                resolved.Remember(name, version, template);
                return template;
            }
        }

        return row is null ? null : await LoadAsync(row, cancellationToken);
    }

    /// <summary>
    /// The registered versions (ascending, at most 50) of the name a reference that matched nothing names: the part
    /// before its last <c>@</c>, or all of it (<c>nc-blog</c> for <c>nc-blog</c> and for <c>nc-blog@9</c>).
    /// </summary>
    public async Task<IReadOnlyList<int>> VersionsOfNameAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var name = NameOf(reference);
        return await db.Templates.AsNoTracking().Where(t => t.Name == name).OrderBy(t => t.Version).Select(t => t.Version)
            .Take(50).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Why <paramref name="reference"/> matched no template, in words that say what to send instead: a name without a
    /// version is told to add one (and which exist), an unknown version which versions exist.
    /// </summary>
    public static string NotFoundMessage(string reference, IReadOnlyList<int> versionsOfName)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(versionsOfName);
        var shown = reference.Length <= 200 ? reference : string.Concat(reference.AsSpan(0, 197), "...");
        var isHash = reference.Trim().StartsWith(Digest.Sha256Prefix, StringComparison.OrdinalIgnoreCase);
        var hasVersion = reference.LastIndexOf('@') > 0;
        var versions = string.Join(", ", versionsOfName.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        if (!isHash && !hasVersion && versionsOfName.Count > 0)
        {
            return $"'{shown}' names a template but not its version: use name@version, e.g. '{shown}@{versionsOfName[^1].ToString(CultureInfo.InvariantCulture)}' "
                + $"(registered versions of '{shown}': {versions}).";
        }

        if (versionsOfName.Count > 0)
        {
            return $"No template is registered as '{shown}'; the registered versions of '{NameOf(shown)}' are {versions}.";
        }

        return isHash || hasVersion
            ? $"No template is registered as '{shown}'."
            : $"No template is registered as '{shown}': name a template as name@version (e.g. spec-review@1) or by its hash (sha256:…).";
    }

    private static string NameOf(string reference)
    {
        var at = reference.LastIndexOf('@');
        return at > 0 ? reference[..at] : reference;
    }

    /// <summary>The template registered as <paramref name="name"/>@<paramref name="version"/>, or <see langword="null"/>.</summary>
    public async Task<TemplateDetails?> GetAsync(string name, int version, CancellationToken cancellationToken)
    {
        var row = await FindRowAsync(name, version, cancellationToken);
        return row is null
            ? null
            : new TemplateDetails(row.Name, row.Version, row.Hash, row.CreatedAt, row.CreatedBy, CanonicalObject(row));
    }

    /// <summary>
    /// Up to <paramref name="limit"/> templates, newest first (by registration time, then name and version, descending),
    /// after <paramref name="after"/> when given, only the versions of <paramref name="name"/> when given;
    /// <see cref="TemplatePage.NextCursor"/> continues when more remain.
    /// </summary>
    public async Task<TemplatePage> ListAsync(int limit, TemplateCursor? after, string? name, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);

        var query = db.Templates.AsNoTracking();
        if (name is not null)
        {
            query = query.Where(t => t.Name == name);
        }

        if (after is { } cursor)
        {
            query = query.Where(t => t.CreatedAt < cursor.CreatedAt
                || (t.CreatedAt == cursor.CreatedAt && (string.Compare(t.Name, cursor.Name) < 0
                    || (t.Name == cursor.Name && t.Version < cursor.Version))));
        }

        var items = await query
            .OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Name).ThenByDescending(t => t.Version)
            .Take(limit + 1)
            .Select(t => new TemplateListItem(t.Name, t.Version, t.Hash, t.CreatedAt))
            .ToListAsync(cancellationToken);
        if (items.Count <= limit)
        {
            return new TemplatePage(items, null);
        }

        items.RemoveAt(limit);
        return new TemplatePage(items, TemplateCursor.After(items[^1]).Encode());
    }

    private Task<TemplateRow?> FindRowAsync(string name, int version, CancellationToken cancellationToken) =>
        db.Templates.AsNoTracking().FirstOrDefaultAsync(t => t.Name == name && t.Version == version, cancellationToken);

    private static TemplateRegistration Compare(TemplateRow existing, WorkflowTemplate template) =>
        string.Equals(existing.Hash, template.Hash, StringComparison.Ordinal)
            ? new TemplateRegistration(TemplateRegistrationOutcome.Unchanged, Summary: SummaryOf(existing, template))
            : new TemplateRegistration(
                TemplateRegistrationOutcome.Conflict, Reference: template.Reference, Hash: template.Hash, RegisteredHash: existing.Hash);

    private static TemplateSummary SummaryOf(TemplateRow row, WorkflowTemplate template) =>
        new(row.Name, row.Version, row.Hash, row.CreatedAt, template.Phases.Select(p => p.Key).ToList());

    /// <summary>
    /// The stored template as a <see cref="WorkflowTemplate"/>. <c>jsonb</c> keeps the content but not the canonical
    /// text, so it is canonicalized and validated again; the hash must come out as stored.
    /// </summary>
    private static async Task<WorkflowTemplate> LoadAsync(TemplateRow row, CancellationToken cancellationToken)
    {
        if (s_loaded.TryGetValue(row.Hash, out var known))
        {
            return known;
        }

        var validation = await TemplateValidator.ValidateAsync(CanonicalObject(row), cancellationToken);
        if (validation.Template is not { } template || !string.Equals(template.Hash, row.Hash, StringComparison.Ordinal))
        {
            // Only a change of the validation rules or of the canonical form since registration gets here.
            throw new InvalidOperationException(
                $"The stored template {row.Name}@{row.Version} ({row.Hash}) no longer validates to the same template.");
        }

        Remember(template);
        return template;
    }

    private static JsonObject CanonicalObject(TemplateRow row) =>
        JsonNode.Parse(CanonicalJson.Canonicalize(row.CanonicalJson))!.AsObject();

    private static void Remember(WorkflowTemplate template)
    {
        if (s_loaded.Count >= MaxLoadedTemplates)
        {
            s_loaded.Clear();
        }

        s_loaded.TryAdd(template.Hash, template);
    }
}
