using System.Globalization;
using System.Net;

namespace RunMesh.PhaseWorker.Executors.Http;

/// <summary>
/// One entry of <c>PhaseWorker:Http:AllowedHosts</c>: a host and a port. The host is a name (<c>api.example.com</c>),
/// a wildcard for its subdomains (<c>*.example.com</c>, not <c>example.com</c> itself), an IP address (IPv6 in
/// brackets: <c>[::1]</c>) or <c>*</c> for any host; the port is a number, <c>*</c> for any port, or absent for the
/// URL scheme's default port (80 for http, 443 for https). Names compare case-insensitively.
/// </summary>
internal sealed class HostPattern
{
    private readonly string? _name;
    private readonly string? _suffix;
    private readonly IPAddress? _address;
    private readonly bool _anyHost;
    private readonly int? _port;
    private readonly bool _anyPort;

    private HostPattern(string text, string? name, string? suffix, IPAddress? address, bool anyHost, int? port, bool anyPort)
    {
        Text = text;
        _name = name;
        _suffix = suffix;
        _address = address;
        _anyHost = anyHost;
        _port = port;
        _anyPort = anyPort;
    }

    /// <summary>The pattern as configured.</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; false when it is not a pattern.</summary>
    public static bool TryParse(string? text, out HostPattern pattern)
    {
        pattern = null!;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return false;
        }

        string host;
        string? port = null;
        if (trimmed.StartsWith('['))
        {
            var close = trimmed.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = trimmed[..(close + 1)];
            var rest = trimmed[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    return false;
                }

                port = rest[1..];
            }
        }
        else
        {
            var colon = trimmed.LastIndexOf(':');
            if (colon >= 0 && trimmed.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                return false; // an IPv6 address without brackets cannot carry a port
            }

            (host, port) = colon < 0 ? (trimmed, null) : (trimmed[..colon], trimmed[(colon + 1)..]);
        }

        int? portNumber = null;
        var anyPort = port == "*";
        if (port is not null && !anyPort)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                return false;
            }

            portNumber = number;
        }

        if (host == "*")
        {
            pattern = new HostPattern(trimmed, null, null, null, anyHost: true, portNumber, anyPort);
            return true;
        }

        if (host.StartsWith('[') || IPAddress.TryParse(host, out _))
        {
            if (!IPAddress.TryParse(host.Trim('[', ']'), out var address) || (host.StartsWith('[') && !host.EndsWith(']')))
            {
                return false;
            }

            pattern = new HostPattern(trimmed, null, null, address, anyHost: false, portNumber, anyPort);
            return true;
        }

        var wildcard = host.StartsWith("*.", StringComparison.Ordinal);
        var name = Normalize(wildcard ? host[2..] : host);
        if (Uri.CheckHostName(name) != UriHostNameType.Dns)
        {
            return false;
        }

        pattern = wildcard
            ? new HostPattern(trimmed, null, "." + name, null, anyHost: false, portNumber, anyPort)
            : new HostPattern(trimmed, name, null, null, anyHost: false, portNumber, anyPort);
        return true;
    }

    /// <summary>Whether <paramref name="url"/>'s host and port match.</summary>
    public bool Matches(Uri url)
    {
        if (!(_anyPort || (_port is { } port ? url.Port == port : url.IsDefaultPort)))
        {
            return false;
        }

        if (_anyHost)
        {
            return true;
        }

        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6)
        {
            return _address is not null && IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && Same(address, _address);
        }

        var host = Normalize(url.IdnHost);
        return _name is not null
            ? string.Equals(host, _name, StringComparison.Ordinal)
            : _suffix is not null && host.EndsWith(_suffix, StringComparison.Ordinal) && host.Length > _suffix.Length;
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    private static string Normalize(string host) => host.TrimEnd('.').ToLowerInvariant();

    private static bool Same(IPAddress left, IPAddress right) =>
        (left.IsIPv4MappedToIPv6 ? left.MapToIPv4() : left).Equals(right.IsIPv4MappedToIPv6 ? right.MapToIPv4() : right);
}
