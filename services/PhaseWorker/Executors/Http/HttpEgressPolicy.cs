using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace RunMesh.PhaseWorker.Executors.Http;

/// <summary>
/// Where the <c>http</c> executor may connect. A phase's URL comes from a template, so without a limit a template
/// author could make the worker call the mesh's own ports or a cloud metadata service and read the answers as
/// artifacts. A URL's host and port must match <c>PhaseWorker:Http:AllowedHosts</c> (empty: nothing is allowed), and
/// link-local and cloud metadata addresses are refused whatever the list says — by name and IP literal before the
/// request, and again for the addresses a name resolves to, at connect time (<see cref="ConnectAsync"/>), so a name
/// that resolves differently on the second lookup (DNS rebinding) cannot reach them either.
/// </summary>
internal sealed class HttpEgressPolicy
{
    private static readonly string[] s_metadataNames = ["metadata.google.internal"];
    private static readonly IPAddress s_awsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    private readonly IReadOnlyList<HostPattern> _allowed;

    public HttpEgressPolicy(IOptions<PhaseWorkerOptions> options)
    {
        _allowed = [.. options.Value.Http.AllowedHosts.Select(text => HostPattern.TryParse(text, out var pattern)
            ? pattern
            : throw new OptionsValidationException(nameof(PhaseWorkerOptions), typeof(PhaseWorkerOptions), [$"'{text}' is not a host pattern"]))];
    }

    /// <summary>Refuses <paramref name="url"/> with an <see cref="ExecutorException"/> unless it may be called.</summary>
    public void EnsureAllowed(Uri url, string what)
    {
        // Host and port only: the rest of the URL may carry credentials.
        var endpoint = url.HostNameType == UriHostNameType.IPv6 ? $"{url.Host}:{url.Port}" : $"{url.IdnHost}:{url.Port}";
        if (IsForbiddenName(url.IdnHost)
            || (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IsForbidden(address)))
        {
            throw new ExecutorException($"{what}: {endpoint} is a link-local or cloud metadata address, which the http executor never calls");
        }

        if (_allowed.Count == 0)
        {
            throw new ExecutorException($"{what}: {endpoint} is not allowed (PhaseWorker:Http:AllowedHosts is empty, so no host is)");
        }

        if (!_allowed.Any(pattern => pattern.Matches(url)))
        {
            throw new ExecutorException($"{what}: {endpoint} is not in PhaseWorker:Http:AllowedHosts");
        }
    }

    /// <summary>
    /// The executor's <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host and connects to the first
    /// address that is not forbidden; when every address is, no connection is made and the request fails with
    /// <see cref="EgressRefusedException"/>.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var permitted = addresses.Where(address => !IsForbidden(address)).ToArray();
        if (permitted.Length == 0)
        {
            throw new EgressRefusedException($"{host} resolves only to link-local or cloud metadata addresses");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(permitted, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Link-local (169.254.0.0/16, fe80::/10; AWS, GCP and Azure metadata live there) and AWS's IPv6 metadata address.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var bytes = address.GetAddressBytes();
            return bytes[0] == 169 && bytes[1] == 254;
        }

        return address.IsIPv6LinkLocal || address.Equals(s_awsMetadataV6);
    }

    private static bool IsForbiddenName(string host)
    {
        var name = host.TrimEnd('.');
        return s_metadataNames.Any(metadata => string.Equals(name, metadata, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A connection the egress policy refused to make (the resolved address is link-local or cloud metadata).</summary>
internal sealed class EgressRefusedException : IOException
{
    public EgressRefusedException(string message)
        : base(message)
    {
    }

    public EgressRefusedException()
    {
    }

    public EgressRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
