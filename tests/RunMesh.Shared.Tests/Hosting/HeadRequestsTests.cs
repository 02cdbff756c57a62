using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using RunMesh.Hosting.Requests;

namespace RunMesh.Shared.Tests.Hosting;

public sealed class HeadRequestsTests
{
    [Fact]
    public async Task A_head_request_is_answered_as_its_get_with_the_body_dropped()
    {
        var (context, written) = NewContext(HttpMethods.Head);
        string? methodSeen = null;
        var isHeadSeen = false;
        var pipeline = Pipeline(async http =>
        {
            methodSeen = http.Request.Method;
            isHeadSeen = HeadRequests.IsHead(http);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync("""{"runId":"x"}""");
            await http.Response.BodyWriter.WriteAsync(Encoding.UTF8.GetBytes("more"));
        });

        await pipeline(context);

        methodSeen.ShouldBe(HttpMethods.Get);
        isHeadSeen.ShouldBeTrue();
        context.Request.Method.ShouldBe(HttpMethods.Head);
        context.Response.ContentType.ShouldBe("application/json");
        written.Length.ShouldBe(0);
    }

    [Fact]
    public async Task Another_method_passes_untouched()
    {
        var (context, written) = NewContext(HttpMethods.Get);
        var isHeadSeen = true;
        var pipeline = Pipeline(async http =>
        {
            isHeadSeen = HeadRequests.IsHead(http);
            await http.Response.WriteAsync("body");
        });

        await pipeline(context);

        isHeadSeen.ShouldBeFalse();
        Encoding.UTF8.GetString(written.ToArray()).ShouldBe("body");
    }

    private static RequestDelegate Pipeline(RequestDelegate endpoint)
    {
        var app = new ApplicationBuilder(new EmptyServices());
        app.UseHeadRequests();
        app.Run(endpoint);
        return app.Build();
    }

    private static (DefaultHttpContext Context, MemoryStream Written) NewContext(string method)
    {
        var written = new MemoryStream();
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(written));
        return (context, written);
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }
}
