using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// Declares an error an endpoint answers itself, with the problem <c>code</c>s it may carry: endpoint metadata (an
/// <see cref="IProducesResponseTypeMetadata"/>) that the API document turns into a response of the shared
/// <c>ProblemDetails</c> schema whose description names the codes. What every endpoint of a kind may answer (401, 403,
/// 500, 503, a refused body, an unknown query parameter) is added by <see cref="ApiDocumentConventions"/>; declare here
/// only what the handler itself returns.
/// </summary>
public static class ProblemResponseDeclarations
{
    /// <summary>The endpoint answers <paramref name="statusCode"/> as problem+json with one of <paramref name="codes"/>.</summary>
    public static TBuilder ProducesProblemCodes<TBuilder>(this TBuilder builder, int statusCode, params string[] codes)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(codes);
        return builder.WithMetadata(new ProblemResponseMetadata(statusCode, codes));
    }
}

/// <summary>An error response an endpoint answers itself: its status and the problem codes it carries.</summary>
/// <param name="StatusCode">The HTTP status (4xx or 5xx).</param>
/// <param name="Codes">The <c>code</c>s a problem with this status may have.</param>
public sealed record ProblemResponseMetadata(int StatusCode, IReadOnlyList<string> Codes) : IProducesResponseTypeMetadata
{
    /// <inheritdoc/>
    public Type? Type => typeof(ProblemDetails);

    /// <inheritdoc/>
    public IEnumerable<string> ContentTypes { get; } = [ApiDocumentConventions.ProblemContentType];

    /// <inheritdoc/>
    public string? Description => ApiErrorResponses.Describe(StatusCode, Codes);
}
