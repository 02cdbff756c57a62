using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using RunMesh.Hosting.Documents;
using RunMesh.Hosting.Problems;

namespace RunMesh.Hosting.Requests;

/// <summary>
/// Refuses a query parameter an API endpoint does not take (400 <c>invalid_request</c> naming it): <c>?status=</c> for
/// <c>?state=</c> would otherwise be ignored and answer everything. What an endpoint takes is read from its handler,
/// as the framework binds it — each parameter of a type bound from a query string that is not a route value (or a
/// <c>[FromQuery]</c> name) — so adding a parameter to a handler is all it takes to accept it. Only <c>/api/…</c>
/// routes with a handler method are checked.
/// </summary>
public static class KnownQueryParameters
{
    /// <summary>Refuses unknown query parameters; must come after routing (it reads the chosen endpoint).</summary>
    public static IApplicationBuilder UseKnownQueryParameters(this IApplicationBuilder app) => app.UseMiddleware<KnownQueryParametersMiddleware>();

    /// <summary>The query parameters <paramref name="endpoint"/> takes; <see langword="null"/> when it is not checked.</summary>
    public static IReadOnlyList<string>? Of(Endpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is not RouteEndpoint route
            || endpoint.Metadata.GetMetadata<MethodInfo>() is not { } handler
            || !Checks(route.RoutePattern.RawText, handler))
        {
            return null;
        }

        var routeValues = route.RoutePattern.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        foreach (var parameter in handler.GetParameters())
        {
            var attributes = parameter.GetCustomAttributes(inherit: true);
            if (attributes.OfType<IFromQueryMetadata>().FirstOrDefault() is { } fromQuery)
            {
                names.Add(fromQuery.Name ?? parameter.Name!);
            }
            else if (parameter.Name is { } name
                && !attributes.Any(a => a is IFromRouteMetadata or IFromHeaderMetadata or IFromBodyMetadata or IFromServiceMetadata or IFromFormMetadata)
                && !routeValues.Contains(name)
                && IsBoundFromText(parameter.ParameterType))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>
    /// Whether the query parameters of an endpoint at <paramref name="routePattern"/> handled by <paramref name="handler"/>
    /// are checked (an unknown one answered 400 <c>invalid_request</c>): an <c>/api/…</c> route with a handler method.
    /// </summary>
    public static bool Checks(string? routePattern, MethodInfo? handler) =>
        handler is not null && routePattern?.TrimStart('/').StartsWith("api/", StringComparison.Ordinal) == true;

    /// <summary>Whether the framework binds a parameter of <paramref name="type"/> from the query string (when not a route value).</summary>
    private static bool IsBoundFromText(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsArray)
        {
            t = t.GetElementType()!;
            t = Nullable.GetUnderlyingType(t) ?? t;
        }

        return t == typeof(string) || t.IsPrimitive || t.IsEnum || t == typeof(decimal) || t == typeof(Guid)
            || t == typeof(DateTime) || t == typeof(DateTimeOffset) || t == typeof(DateOnly) || t == typeof(TimeOnly) || t == typeof(TimeSpan)
            || t.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), t.MakeByRefType()]) is not null
            || t.GetMethod("TryParse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider), t.MakeByRefType()]) is not null;
    }
}

internal sealed class KnownQueryParametersMiddleware(RequestDelegate next)
{
    private static readonly ConcurrentDictionary<Endpoint, IReadOnlyList<string>?> s_known = new();

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Query.Count > 0
            && context.GetEndpoint() is { } endpoint
            && s_known.GetOrAdd(endpoint, KnownQueryParameters.Of) is { } known)
        {
            var unknown = context.Request.Query.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList();
            if (unknown.Count > 0)
            {
                await ProblemResponses.WriteAsync(context, StatusCodes.Status400BadRequest, ProblemCodes.InvalidRequest, "Unknown query parameter",
                    Describe(unknown, known));
                return;
            }
        }

        await next(context);
    }

    private static string Describe(List<string> unknown, IReadOnlyList<string> known)
    {
        var names = string.Join(", ", unknown.Take(5).Select(name => $"'{Shorten(name)}'{Spelling.DidYouMean(name, known)}"));
        var takes = known.Count == 0 ? "This endpoint takes no query parameters." : $"This endpoint takes: {string.Join(", ", known)}.";
        return unknown.Count == 1
            ? $"Query parameter {names} is not known here. {takes}"
            : $"Query parameters {names} are not known here. {takes}";
    }

    // The name is the client's: keep what is echoed back short.
    private static string Shorten(string name) => name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 61), "...");
}
