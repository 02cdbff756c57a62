using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace RunMesh.Browser.Tests;

/// <summary>The console's tests share one mesh and one browser; each test opens browser contexts of its own.</summary>
[CollectionDefinition(Name)]
public sealed class ConsoleMesh : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}

/// <summary>
/// A whole mesh of processes (<see cref="MeshHarness"/>, one API key per role) with a few runs in it, and headless
/// Chromium — Debian's <c>/usr/bin/chromium</c>, driven by Playwright through <c>ExecutablePath</c> (Playwright's own
/// browser download is not used). Each test gets fresh browser contexts, so cookies never leak between tests.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    /// <summary>The browser to drive; <c>RUNMESH_CHROMIUM</c> overrides it.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("RUNMESH_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public const string QuickTemplate = "console-quick";
    public const string GatedTemplate = "console-gated";
    public const string FailingTemplate = "console-failing";

    private readonly List<IBrowserContext> _contexts = [];
    private readonly ConcurrentDictionary<IPage, ConcurrentQueue<string>> _errors = new();
    private IPlaywright? _playwright;

    public MeshHarness Mesh { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where screenshots of the pages go (<c>RUNMESH_CONSOLE_SCREENSHOTS</c>, else TestResults/console); docs/console/ keeps a copy.</summary>
    public string ScreenshotDirectory { get; } =
        Environment.GetEnvironmentVariable("RUNMESH_CONSOLE_SCREENSHOTS") is { Length: > 0 } directory
            ? directory
            : Path.Combine(RepositoryPaths.Root, "TestResults", "console");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"No Chromium at {ChromiumPath}. Install Debian's package (apt-get install -y chromium; deploy/local/test.sh does) or set RUNMESH_CHROMIUM.");
        }

        Directory.CreateDirectory(ScreenshotDirectory);
        Mesh = await MeshHarness.StartAsync("console", settings: new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            // Every test signs in from 127.0.0.1; the default (10 a minute) is for people, not for a suite.
            ["gateway"] = new Dictionary<string, string> { ["Gateway:Sessions:LoginAttemptsPerMinute"] = "600" },
        });
        await Mesh.RegisterTemplatesAsync(
            TestTemplates.Gated(QuickTemplate).Replace("gates: [sign-off]", "", StringComparison.Ordinal),
            TestTemplates.Gated(GatedTemplate),
            TestTemplates.FailingSecondPhase(FailingTemplate));

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
    }

    /// <summary>Starts a run of version 1 of <paramref name="template"/> as the submitter, with <paramref name="labels"/>.</summary>
    public Task<Guid> StartRunAsync(string template, params (string Key, string Value)[] labels)
    {
        var options = new JsonObject();
        if (labels.Length > 0)
        {
            options["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        return Mesh.StartRunAsync($"{template}@1", options);
    }

    /// <summary>A page in a fresh browser context (no cookies) on the mesh's gateway.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Mesh.Gateway.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(15_000);
        lock (_contexts)
        {
            _contexts.Add(context);
        }

        var page = await context.NewPageAsync();
        var errors = _errors.GetOrAdd(page, _ => new ConcurrentQueue<string>());
        // A Content-Security-Policy violation, a failed script or an uncaught exception shows up here.
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Enqueue(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Enqueue(error);
        return page;
    }

    /// <summary>The errors the page's console reported so far (CSP violations, failed loads, exceptions).</summary>
    public IReadOnlyCollection<string> ErrorsOf(IPage page) => _errors.TryGetValue(page, out var errors) ? errors : [];

    /// <summary>Opens the console, signs in with the key of <paramref name="role"/> and waits for the runs page.</summary>
    public async Task<IPage> SignInAsync(string role, string path = "/")
    {
        var page = await NewPageAsync();
        await page.GotoAsync(path);
        await page.GetByLabel("API key").FillAsync(Mesh.ApiKey(role));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByText($"Signed in as test-{role}")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c> in <see cref="ScreenshotDirectory"/>.</summary>
    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.CloseAsync();
        }

        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Mesh is not null)
        {
            await Mesh.DisposeAsync();
        }
    }
}
