using Microsoft.AspNetCore.Authorization;
using RunMesh.Hosting.Identity;
using RunMesh.Hosting.Problems;

namespace RunMesh.Gateway.Authentication;

/// <summary>The 403 of a caller whose role is too low, the same whether it came with an API key or a console session.</summary>
internal static class AccessProblems
{
    public static Task WriteForbiddenAsync(HttpContext context)
    {
        var role = context.User.FindFirst(GatewayIdentity.RoleClaim)?.Value ?? "none";
        var required = context.GetEndpoint()?.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(Roles.IsKnown);
        var detail = required is null
            ? $"The API key's role '{role}' does not allow this request."
            : $"This request needs role '{required}' or higher; the API key's role is '{role}'.";
        return ProblemResponses.WriteAsync(context, StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Forbidden", detail);
    }
}
