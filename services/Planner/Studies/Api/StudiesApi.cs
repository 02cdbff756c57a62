namespace RunMesh.Planner.Studies.Api;

/// <summary><c>/api/studies</c>: start, list, read, results, progress stream and cancel of studies.</summary>
internal static class StudiesApi
{
    public static IEndpointRouteBuilder MapStudiesApi(this IEndpointRouteBuilder app) => app;
}
