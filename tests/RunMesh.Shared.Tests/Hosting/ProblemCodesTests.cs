using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using RunMesh.Hosting.Problems;

namespace RunMesh.Shared.Tests.Hosting;

public sealed class ProblemCodesTests
{
    [Theory]
    [InlineData(404, "not_found", "There is no endpoint at GET /api/templates/nc-blog.")]
    [InlineData(405, "method_not_allowed", "GET /api/templates/nc-blog: the path exists, but not for GET.")]
    public void A_problem_the_framework_writes_gets_a_code_and_says_what_was_asked(int status, string code, string detail)
    {
        var context = Context(status);

        ProblemResponses.AddMissingCode(context);

        context.ProblemDetails.Extensions["code"].ShouldBe(code);
        context.ProblemDetails.Type.ShouldBe($"urn:runmesh:problem:{code}");
        context.ProblemDetails.Detail.ShouldBe(detail);
    }

    [Fact]
    public void A_problem_with_a_code_keeps_it()
    {
        var context = Context(StatusCodes.Status404NotFound);
        context.ProblemDetails.Extensions["code"] = "run_not_found";
        context.ProblemDetails.Detail = "There is no run 'x'.";

        ProblemResponses.AddMissingCode(context);

        context.ProblemDetails.Extensions["code"].ShouldBe("run_not_found");
        context.ProblemDetails.Detail.ShouldBe("There is no run 'x'.");
    }

    private static ProblemDetailsContext Context(int status)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = HttpMethods.Get;
        http.Request.Path = "/api/templates/nc-blog";
        http.Response.StatusCode = status;
        return new ProblemDetailsContext { HttpContext = http, ProblemDetails = new ProblemDetails { Status = status } };
    }
}
