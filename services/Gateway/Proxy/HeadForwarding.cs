using RunMesh.Hosting.Requests;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace RunMesh.Gateway.Proxy;

/// <summary>
/// A YARP transform on every route: a request that came as <c>HEAD</c> (routed as the <c>GET</c> it mirrors, see
/// <see cref="HeadRequests"/>) goes to the service as <c>HEAD</c>, so the service sends headers alone and an event
/// stream is not opened for nothing.
/// </summary>
internal sealed class HeadForwarding : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) =>
        context.AddRequestTransform(transform =>
        {
            if (HeadRequests.IsHead(transform.HttpContext))
            {
                transform.ProxyRequest.Method = HttpMethod.Head;
            }

            return ValueTask.CompletedTask;
        });
}
