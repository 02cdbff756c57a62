using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RunMesh.Hosting.Problems;

namespace RunMesh.Hosting.Identity;

/// <summary>
/// A service behind the gateway trusts one identity: the gateway's signed token (<see cref="GatewayIdentity"/>),
/// validated with the gateway's public key. The service cannot mint identities itself, and a caller that bypasses
/// the gateway has no token: 401 on every endpoint except health, metrics and OpenAPI.
/// </summary>
public static class GatewayIdentityExtensions
{
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromSeconds(5);

    /// <summary>JwtBearer for the gateway's tokens (audience <paramref name="serviceName"/>) and the role policies.</summary>
    public static WebApplicationBuilder AddGatewayIdentity(this WebApplicationBuilder builder, string serviceName)
    {
        var options = builder.Configuration.GetSection(GatewayIdentityOptions.SectionName).Get<GatewayIdentityOptions>() ?? new();
        var keys = options.LoadKeys()
            .Select(key => new ECDsaSecurityKey(key) { KeyId = GatewayIdentity.KeyId(key) })
            .ToList();

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(jwt =>
            {
                jwt.MapInboundClaims = false;
                jwt.RequireHttpsMetadata = false;
                jwt.IncludeErrorDetails = false;
                jwt.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = GatewayIdentity.Issuer,
                    ValidAudience = serviceName,
                    IssuerSigningKeys = keys,
                    ValidAlgorithms = [GatewayIdentity.Algorithm],
                    RequireSignedTokens = true,
                    RequireExpirationTime = true,
                    ClockSkew = s_clockSkew,
                    NameClaimType = GatewayIdentity.SubjectClaim,
                    RoleClaimType = GatewayIdentity.RoleClaim,
                };
                jwt.Events = new JwtBearerEvents
                {
                    OnTokenValidated = RefuseLongLivedTokens,
                    OnChallenge = WriteUnauthenticatedAsync,
                    OnForbidden = context => WriteForbiddenAsync(context.HttpContext),
                };
            });
        builder.Services.AddAuthorization(authorization => authorization.AddRolePolicies());
        return builder;
    }

    /// <summary>A token that would live longer than <see cref="GatewayIdentity.MaxLifetime"/> was not made by our gateway.</summary>
    private static Task RefuseLongLivedTokens(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken token
            || token.IssuedAt == DateTime.MinValue
            || token.ValidTo - token.IssuedAt > GatewayIdentity.MaxLifetime)
        {
            context.Fail("The token lives longer than the gateway issues tokens for.");
        }

        return Task.CompletedTask;
    }

    private static async Task WriteUnauthenticatedAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        context.Response.Headers.WWWAuthenticate = "Bearer";
        var detail = context.AuthenticateFailure is null
            ? "No identity token: this service is reached through the gateway, which forwards the caller's identity."
            : "The identity token is not valid (signature, issuer, audience or lifetime).";
        await ProblemResponses.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated, "Unauthenticated", detail);
    }

    private static Task WriteForbiddenAsync(HttpContext context) =>
        ProblemResponses.WriteAsync(context, StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "Forbidden", "The caller's role does not allow this request.");
}
