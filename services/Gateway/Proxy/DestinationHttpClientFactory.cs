using Yarp.ReverseProxy.Forwarder;

namespace RunMesh.Gateway.Proxy;

/// <summary>YARP's client to the destinations, with a short connect timeout: a destination that does not accept is a quick 502, not a hang.</summary>
internal sealed class DestinationHttpClientFactory : ForwarderHttpClientFactory
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(5);

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = s_connectTimeout;
    }
}
