using Microsoft.AspNetCore.Builder;
using RunMesh.Hosting.Documents;

namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// Declares the body an endpoint reads itself (with <see cref="Problems.StrictJsonBody"/> or <see cref="DocumentBody"/>,
/// so that every refusal is the API's own problem+json): endpoint metadata the API document turns into the operation's
/// <c>requestBody</c>, with the 400, 413 and 415 a body can be refused with. Not <c>.Accepts(…)</c>: its routing policy
/// would answer another media type with an empty 415 before the handler could say what it takes.
/// </summary>
public static class RequestBodies
{
    /// <summary>The endpoint reads a JSON body of type <typeparamref name="TBody"/> (<paramref name="required"/>: an empty body is refused).</summary>
    public static RouteHandlerBuilder AcceptsJsonBody<TBody>(this RouteHandlerBuilder builder, bool required, string description)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new RequestBodyMetadata(typeof(TBody), required, description, ["application/json"], TextMediaTypes: []));
    }

    /// <summary>
    /// The endpoint reads a document a person wrote (<see cref="DocumentBody"/>): as JSON, an object described by
    /// <typeparamref name="TDocument"/>; as YAML (every media type <see cref="DocumentBody.MediaTypes"/> lists), the same
    /// document as text.
    /// </summary>
    public static RouteHandlerBuilder AcceptsDocumentBody<TDocument>(this RouteHandlerBuilder builder, string description)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new RequestBodyMetadata(
            typeof(TDocument), Required: true, description, ["application/json"], [.. DocumentBody.MediaTypes.Where(t => t != "application/json")]));
    }
}

/// <summary>The body an endpoint reads.</summary>
/// <param name="Type">What a JSON body is (its schema).</param>
/// <param name="Required">Whether a request without a body is refused.</param>
/// <param name="Description">What the body is, for the document.</param>
/// <param name="JsonMediaTypes">The media types the body is read from as JSON.</param>
/// <param name="TextMediaTypes">Further media types the same document may be sent as, described as text (YAML).</param>
public sealed record RequestBodyMetadata(
    Type Type, bool Required, string Description, IReadOnlyList<string> JsonMediaTypes, IReadOnlyList<string> TextMediaTypes);
