using System.Reflection;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using RunMesh.Hosting.Problems;
using RunMesh.Hosting.Requests;

namespace RunMesh.Hosting.ApiDocuments;

/// <summary>
/// The errors an endpoint may answer without its handler deciding them, read from its metadata: 401 (and 403 when it
/// needs a role) from authorization, 400 from the refusal of a query parameter an <c>/api</c> endpoint does not take
/// (<see cref="KnownQueryParameters"/>), 400, 413 and 415 from reading a body (<see cref="RequestBodyMetadata"/>), and
/// 500 and 503 from <see cref="UnhandledExceptionProblems"/> on every endpoint. Each with the problem codes it carries.
/// </summary>
public static class ApiErrorResponses
{
    /// <summary>The errors <paramref name="metadata"/> implies for an endpoint at <paramref name="routePattern"/>, by status.</summary>
    public static IReadOnlyDictionary<int, IReadOnlyList<string>> Of(IReadOnlyList<object> metadata, string routePattern)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(routePattern);
        var errors = new SortedDictionary<int, IReadOnlyList<string>>();
        void Add(int status, string code) =>
            errors[status] = errors.TryGetValue(status, out var codes) ? [.. codes.Append(code).Distinct()] : [code];

        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            Add(StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated);
            if (metadata.OfType<IAuthorizeData>().Any(a => !string.IsNullOrEmpty(a.Policy) || !string.IsNullOrEmpty(a.Roles)))
            {
                Add(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden);
            }
        }

        if (KnownQueryParameters.Checks(routePattern, metadata.OfType<MethodInfo>().FirstOrDefault()))
        {
            Add(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest);
        }

        if (metadata.OfType<RequestBodyMetadata>().Any())
        {
            Add(StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest);
            Add(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge);
            Add(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType);
        }

        Add(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError);
        Add(StatusCodes.Status503ServiceUnavailable, ProblemCodes.ServiceUnavailable);
        return errors;
    }

    /// <summary>The description of an error response: its reason phrase and the problem codes it carries.</summary>
    public static string Describe(int statusCode, IEnumerable<string> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var names = codes.Distinct().Select(c => $"`{c}`").ToList();
        var phrase = ReasonPhrases.GetReasonPhrase(statusCode);
        return names.Count switch
        {
            0 => phrase,
            1 => $"{phrase}: problem code {names[0]}.",
            _ => $"{phrase}: problem code {string.Join(", ", names.Take(names.Count - 1))} or {names[^1]}.",
        };
    }
}
