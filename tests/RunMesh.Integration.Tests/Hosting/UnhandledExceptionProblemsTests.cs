using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RunMesh.Hosting.Problems;

namespace RunMesh.Integration.Tests.Hosting;

/// <summary>A request that throws is answered with problem+json, never an empty 500 or the exception's text.</summary>
public sealed class UnhandledExceptionProblemsTests
{
    [Fact]
    public async Task A_database_that_failed_under_the_request_is_a_503_with_retry_after()
    {
        var (handled, context, body) = await HandleAsync(new InvalidOperationException("wrapped",
            new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));

        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(StatusCodes.Status503ServiceUnavailable);
        context.Response.Headers.RetryAfter.ToString().ShouldBe("1");
        body["code"]!.GetValue<string>().ShouldBe(ProblemCodes.ServiceUnavailable);
        body["traceId"].ShouldNotBeNull();
        body.ToJsonString().ShouldNotContain("pool");
    }

    [Fact]
    public async Task Any_other_failure_is_a_500_internal_error_without_the_exception_text()
    {
        var (handled, context, body) = await HandleAsync(new InvalidOperationException("secret internals at Foo.Bar()"));

        handled.ShouldBeTrue();
        context.Response.StatusCode.ShouldBe(StatusCodes.Status500InternalServerError);
        context.Response.ContentType.ShouldBe("application/problem+json");
        body["code"]!.GetValue<string>().ShouldBe(ProblemCodes.InternalError);
        body.ToJsonString().ShouldNotContain("secret");
    }

    private static async Task<(bool Handled, HttpContext Context, JsonObject Body)> HandleAsync(Exception exception)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "GET";
        context.Request.Path = "/api/runs";
        context.Response.Body = new MemoryStream();
        var handled = await new UnhandledExceptionProblems(NullLogger<UnhandledExceptionProblems>.Instance)
            .TryHandleAsync(context, exception, CancellationToken.None);
        context.Response.Body.Position = 0;
        var body = (await JsonNode.ParseAsync(context.Response.Body))!.AsObject();
        return (handled, context, body);
    }
}
