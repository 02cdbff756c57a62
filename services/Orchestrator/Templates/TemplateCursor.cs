using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// The keyset position of <c>GET /api/templates</c>'s paging: the last template of a page (its <c>created_at</c> in
/// microseconds, PostgreSQL's precision, its name and version). Opaque to clients: base64url of
/// <c>{micros}|{name}|{version}</c>.
/// </summary>
public readonly record struct TemplateCursor(DateTimeOffset CreatedAt, string Name, int Version)
{
    /// <summary>The cursor that continues after <paramref name="item"/>.</summary>
    public static TemplateCursor After(TemplateListItem item) => new(item.CreatedAt, item.Name, item.Version);

    /// <summary>The opaque text form.</summary>
    public string Encode()
    {
        var micros = (CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        var text = string.Create(CultureInfo.InvariantCulture, $"{micros}|{Name}|{Version}");
        return WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Reads a cursor made by <see cref="Encode"/>; false for anything else.</summary>
    public static bool TryDecode(string? value, out TemplateCursor cursor)
    {
        cursor = default;
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            return false;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(WebEncoders.Base64UrlDecode(value));
        }
        catch (Exception ex) when (ex is FormatException or DecoderFallbackException)
        {
            return false;
        }

        var parts = text.Split('|');
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var micros)
            || micros > (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond
            || parts[1].Length == 0
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return false;
        }

        cursor = new TemplateCursor(
            new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (micros * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero), parts[1], version);
        return true;
    }
}
