using System.Security.Claims;
using Microsoft.Net.Http.Headers;
using RunMesh.Hosting.Identity;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace RunMesh.Gateway.Identity;

/// <summary>
/// A YARP transform on every route: whatever identity the client sent (its API key, a bearer token, an
/// <c>X-RunMesh-*</c> or user header) is removed, and the caller the gateway authenticated is forwarded as
/// <c>Authorization: Bearer &lt;identity token&gt;</c> for the route's service. The audience is the cluster's
/// <c>Audience</c> metadata, else the cluster id.
/// </summary>
internal sealed class IdentityForwarding(IdentityTokenIssuer issuer) : ITransformProvider
{
    public const string AudienceMetadata = "Audience";

    private static readonly string[] s_identityHeaders =
    [
        HeaderNames.Authorization, HeaderNames.ProxyAuthorization, HeaderNames.Cookie,
        "X-Api-Key", "X-User", "X-User-Id", "X-Role", "X-Identity", "X-Forwarded-User", "X-Remote-User", "X-Auth-Request-User",
    ];

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        var audience = context.Cluster?.Metadata?.GetValueOrDefault(AudienceMetadata) ?? context.Cluster?.ClusterId ?? context.Route.ClusterId;
        if (string.IsNullOrEmpty(audience))
        {
            return;
        }

        context.AddRequestTransform(transform =>
        {
            var headers = transform.ProxyRequest.Headers;
            foreach (var name in s_identityHeaders)
            {
                headers.Remove(name);
            }

            foreach (var name in headers.Select(h => h.Key).Where(IsRunMeshHeader).ToList())
            {
                headers.Remove(name);
            }

            var user = transform.HttpContext.User;
            if (user.Identity?.IsAuthenticated == true
                && user.FindFirstValue(GatewayIdentity.SubjectClaim) is { } subject
                && user.FindFirstValue(GatewayIdentity.RoleClaim) is { } role)
            {
                headers.TryAddWithoutValidation(HeaderNames.Authorization, $"Bearer {issuer.Issue(subject, role, audience)}");
            }

            return ValueTask.CompletedTask;
        });
    }

    private static bool IsRunMeshHeader(string name) => name.StartsWith("X-RunMesh-", StringComparison.OrdinalIgnoreCase);
}
