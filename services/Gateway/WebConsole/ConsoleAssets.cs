using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace RunMesh.Gateway.WebConsole;

/// <summary>
/// Serves the web console (the built <c>clients/Console</c>) at <c>/</c>, anonymously like any static site — the data
/// behind it needs a session. A GET or HEAD outside the gateway's own paths (<c>/api</c>, <c>/auth</c>, <c>/health</c>,
/// <c>/openapi</c>, <c>/docs</c>, <c>/metrics</c>, <c>/diagnostics</c>) gets the file at that path, or, when there
/// is none and the last segment has no extension, <c>index.html</c> (the console's own router reads the path).
/// Hashed files under <c>/assets/</c> are cached for a year as immutable; everything else is revalidated
/// (<c>no-cache</c>, with ETag). Every answer carries a Content-Security-Policy that allows scripts, styles and
/// connections from the gateway alone and no inline script.
/// </summary>
internal static partial class ConsoleAssets
{
    /// <summary>The console's Content-Security-Policy: its own origin only, no inline script or style, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string IndexFile = "index.html";

    private static readonly string[] s_gatewayPaths = ["/api", "/auth", "/health", "/openapi", "/docs", "/metrics", "/diagnostics"];

    public static WebApplication UseConsole(this WebApplication app)
    {
        var configured = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.Console.AssetsPath;
        var root = configured ?? Path.Combine(AppContext.BaseDirectory, "console");
        if (!File.Exists(Path.Combine(root, IndexFile)))
        {
            LogNoConsole(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleAssets)), root);
            return app;
        }

        var files = new PhysicalFileProvider(root);
        app.UseWhen(context => IsConsoleRequest(context.Request), console =>
        {
            console.Use((context, next) =>
            {
                var path = context.Request.Path;
                if (!files.GetFileInfo(path.Value ?? "/").Exists && !Path.HasExtension(path.Value))
                {
                    context.Request.Path = "/" + IndexFile;
                }

                return next(context);
            });
            console.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                OnPrepareResponse = file => AddHeaders(file.Context.Response, file.Context.Request.Path),
            });
        });
        return app;
    }

    private static bool IsConsoleRequest(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && !s_gatewayPaths.Any(prefix => request.Path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase));

    private static void AddHeaders(HttpResponse response, PathString path)
    {
        var headers = response.Headers;
        headers.CacheControl = path.StartsWithSegments("/assets", StringComparison.Ordinal)
            ? "public, max-age=31536000, immutable"
            : "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No web console at {Path} (no index.html): / is not served. Build the gateway's project with Node.js and npm, or set Gateway:Console:AssetsPath")]
    private static partial void LogNoConsole(ILogger logger, string path);
}
