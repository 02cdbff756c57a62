using RunMesh.Hosting.Correlation;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace RunMesh.Gateway.Proxy;

/// <summary>
/// A YARP transform on every route: the service gets the correlation id the gateway settled on as
/// <c>X-Correlation-Id</c> — the client's when it was acceptable, else the one the gateway made and returned — in place
/// of whatever the client sent. So the id a client got back is the id in the service's log, and an id the gateway
/// refused (too long, characters that could forge log lines) never reaches a service.
/// </summary>
internal sealed class CorrelationIdForwarding : ITransformProvider
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
            RequestTransform.RemoveHeader(transform, CorrelationIds.HeaderName);
            if (transform.HttpContext.GetCorrelationId() is { } correlationId)
            {
                RequestTransform.AddHeader(transform, CorrelationIds.HeaderName, correlationId);
            }

            return ValueTask.CompletedTask;
        });
}
