using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RunMesh.EndToEnd.Tests.Docs;

/// <summary>A mesh with the demo template registered, as <c>deploy/local/mesh.sh</c> leaves it.</summary>
public sealed class DocsFixture : IAsyncLifetime
{
    private MeshHarness? _mesh;

    public MeshHarness Mesh => _mesh ?? throw new InvalidOperationException("The mesh has not started.");

    public async Task InitializeAsync()
    {
        _mesh = await MeshHarness.StartAsync("docs");
        await Mesh.RegisterTemplatesAsync(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "deploy/local/demo/spec-review.yaml")));
    }

    public async Task DisposeAsync()
    {
        if (_mesh is not null)
        {
            await _mesh.DisposeAsync();
        }
    }
}

/// <summary>
/// The walk-through of docs/api-runs.md, executed: every <c>curl</c> block runs as written (bash, real curl, the
/// mesh's keys in the environment a reader loads from <c>.runmesh/env</c>), in order, and its answer is compared with
/// the one the page shows under it — the status, the media type, and the body by shape (the same fields, the same
/// kinds of values; <c>code</c> and <c>deduplicated</c> by value). The page's <c>doc-test</c> comments stand for what a
/// reader does by hand between two commands (keep an id, wait until the run waits at its gate). The events of the
/// runs it made are then held to docs/events.md.
/// </summary>
public sealed partial class ApiRunsWalkthroughTests(DocsFixture fixture) : IClassFixture<DocsFixture>
{
    private const string RelativePath = "docs/api-runs.md";

    private static readonly string[] s_comparedByValue = ["code", "deduplicated", "status"];

    [Fact]
    public async Task Every_command_of_the_walk_through_answers_what_the_page_shows()
    {
        var steps = WalkthroughSteps();
        steps.OfType<Command>().Count().ShouldBeGreaterThanOrEqualTo(8, "the walk-through lost its commands");
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        var runs = new List<Guid>();
        JsonNode? last = null;
        var failures = new List<string>();

        foreach (var step in steps)
        {
            switch (step)
            {
                case Command command:
                    var answer = await RunAsync(command.Script, variables);
                    failures.AddRange(Compare(command, answer));
                    last = answer.Body;
                    break;
                case Directive { Text: var text } when SetFromAnswer().Match(text) is { Success: true } set:
                    variables[set.Groups["name"].Value] = ValueAt(last, set.Groups["path"].Value) ?? throw new InvalidOperationException($"`{text}`: the last answer has no such field: {last?.ToJsonString()}");
                    if (set.Groups["name"].Value == "RUN")
                    {
                        runs.Add(Guid.Parse(variables["RUN"]));
                    }

                    break;
                case Directive { Text: var text } when Expect().Match(text) is { Success: true } expect:
                    ValueAt(last, expect.Groups["path"].Value).ShouldBe(variables[expect.Groups["name"].Value], $"`{text}`: {last?.ToJsonString()}");
                    break;
                case Directive { Text: var text } when WaitUntil().Match(text) is { Success: true } wait:
                    await fixture.Mesh.WaitForRunStateAsync(Guid.Parse(variables[wait.Groups["name"].Value]), wait.Groups["state"].Value);
                    break;
                case Directive { Text: var text } when SetFromGet().Match(text) is { Success: true } get:
                    var path = Substitute(get.Groups["url"].Value, variables);
                    var body = JsonNode.Parse(await fixture.Mesh.GatewayClient("viewer").GetStringAsync(path));
                    variables[get.Groups["name"].Value] = ValueAt(body, get.Groups["path"].Value)
                        ?? throw new InvalidOperationException($"`{text}`: GET {path} has no such field: {body?.ToJsonString()}");
                    break;
                case Directive directive:
                    throw new InvalidOperationException($"{RelativePath}: a doc-test comment this test does not understand: `{directive.Text}`");
            }
        }

        failures.ShouldBeEmpty();
        runs.Count.ShouldBe(2);
        var reference = EventsReference.Load();
        foreach (var runId in runs)
        {
            var events = await fixture.Mesh.RunEventsAsync(runId);
            events.SelectMany(reference.ProblemsWith).ShouldBeEmpty($"the events of run {runId} against {EventsReference.RelativePath}");
        }
    }

    /// <summary>How the answer differs from the one the page shows; empty when it matches.</summary>
    private static IEnumerable<string> Compare(Command command, Answer answer)
    {
        var where = $"`{command.Script.Split('\n')[0]}`";
        if (command.Expected is not { } expected)
        {
            yield return $"{where}: the page shows no answer for it";
            yield break;
        }

        if (answer.Status != expected.Status)
        {
            yield return $"{where}: answered {answer.Status}, the page shows {expected.Status}: {answer.Raw}";
            yield break;
        }

        if (expected.MediaType is { } mediaType && answer.MediaType != mediaType)
        {
            yield return $"{where}: answered {answer.MediaType}, the page shows {mediaType}";
        }

        foreach (var difference in JsonShape.Differences(expected.Body, answer.Body))
        {
            yield return $"{where}: {difference} — answer: {answer.Body?.ToJsonString()}";
        }

        if (expected.Body is JsonObject shown && answer.Body is JsonObject sent)
        {
            foreach (var name in s_comparedByValue.Where(shown.ContainsKey))
            {
                if (!JsonNode.DeepEquals(shown[name], sent[name]))
                {
                    yield return $"{where}: {name} is {sent[name]?.ToJsonString()}, the page shows {shown[name]?.ToJsonString()}";
                }
            }
        }
    }

    /// <summary>Runs one block with bash, as a reader would with the mesh's env loaded, and reads curl's <c>-i</c> output.</summary>
    private async Task<Answer> RunAsync(string script, Dictionary<string, string> variables)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        start.Environment["RUNMESH_URL"] = fixture.Mesh.Gateway.BaseAddress.ToString().TrimEnd('/');
        foreach (var role in MeshHarness.Roles)
        {
            start.Environment[$"RUNMESH_{role.ToUpperInvariant()}_KEY"] = fixture.Mesh.ApiKey(role);
        }

        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.ShouldBe(0, $"`{script}` failed: {await errors}");
        return Answer.Parse(await output);
    }

    private static string Substitute(string text, Dictionary<string, string> variables) =>
        Variable().Replace(text, m => variables.TryGetValue(m.Groups[1].Value, out var value) ? value : m.Value);

    /// <summary>The string at a path like <c>.links.approval</c>; null when there is none.</summary>
    private static string? ValueAt(JsonNode? node, string path)
    {
        foreach (var name in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is JsonObject json ? json[name] : null;
        }

        return node?.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString();
    }

    /// <summary>The walk-through section of the page: its bash blocks (each with the http block after it) and doc-test comments, in order.</summary>
    private static List<object> WalkthroughSteps()
    {
        var markdown = File.ReadAllText(Path.Combine(RepositoryPaths.Root, RelativePath)).ReplaceLineEndings("\n");
        var start = markdown.IndexOf("\n## Walk-through", StringComparison.Ordinal);
        start.ShouldBeGreaterThan(0, $"{RelativePath} has no walk-through section");
        var end = markdown.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var lines = markdown[start..(end < 0 ? markdown.Length : end)].Split('\n');
        var steps = new List<object>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i] is "```bash" or "```http")
            {
                var close = Array.IndexOf(lines, "```", i + 1);
                var block = string.Join('\n', lines[(i + 1)..close]);
                if (lines[i] == "```bash")
                {
                    steps.Add(new Command(block));
                }
                else
                {
                    ((Command)steps.Last(s => s is Command)).Expected = ExpectedAnswer.Parse(block);
                }

                i = close;
            }
            else if (DocTest().Match(lines[i]) is { Success: true } directive)
            {
                steps.Add(new Directive(directive.Groups[1].Value));
            }
        }

        return steps;
    }

    private sealed class Command(string script)
    {
        public string Script { get; } = script;

        public ExpectedAnswer? Expected { get; set; }
    }

    private sealed record Directive(string Text);

    /// <summary>An answer as the page shows it: <c>HTTP/1.1 202 Accepted</c>, headers, a blank line, the JSON body.</summary>
    private sealed record ExpectedAnswer(int Status, string? MediaType, JsonNode? Body)
    {
        public static ExpectedAnswer Parse(string block)
        {
            var (head, body) = Split(block);
            var lines = head.Split('\n');
            return new ExpectedAnswer(StatusOf(lines[0]), MediaTypeOf(lines), body.Trim().Length == 0 ? null : JsonNode.Parse(body));
        }
    }

    /// <summary>What curl <c>-i</c> printed: the status line, the headers and the body.</summary>
    private sealed record Answer(int Status, string? MediaType, JsonNode? Body, string Raw)
    {
        public static Answer Parse(string output)
        {
            var text = output.ReplaceLineEndings("\n");
            var (head, body) = Split(text);
            while (head.StartsWith("HTTP/1.1 100", StringComparison.Ordinal))
            {
                (head, body) = Split(body);
            }

            var lines = head.Split('\n');
            return new Answer(StatusOf(lines[0]), MediaTypeOf(lines), body.Trim().Length == 0 ? null : JsonNode.Parse(body), text);
        }
    }

    private static (string Head, string Body) Split(string text)
    {
        var blank = text.IndexOf("\n\n", StringComparison.Ordinal);
        return blank < 0 ? (text, "") : (text[..blank], text[(blank + 2)..]);
    }

    private static int StatusOf(string statusLine) => int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    private static string? MediaTypeOf(string[] headLines) =>
        headLines.Skip(1).Where(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
            .Select(l => l["Content-Type:".Length..].Split(';')[0].Trim().ToLowerInvariant()).FirstOrDefault();

    [GeneratedRegex(@"^<!-- doc-test: (.+) -->$")]
    private static partial Regex DocTest();

    [GeneratedRegex(@"^(?<name>[A-Z_]+)=(?<path>\.[\w.]+)$")]
    private static partial Regex SetFromAnswer();

    [GeneratedRegex(@"^expect (?<path>\.[\w.]+)=\$(?<name>[A-Z_]+)$")]
    private static partial Regex Expect();

    [GeneratedRegex(@"^wait until \$(?<name>[A-Z_]+) is (?<state>\w+)$")]
    private static partial Regex WaitUntil();

    [GeneratedRegex(@"^(?<name>[A-Z_]+)=\$\(GET (?<url>\S+) (?<path>\.[\w.]+)\)$")]
    private static partial Regex SetFromGet();

    [GeneratedRegex(@"\$([A-Z_]+)")]
    private static partial Regex Variable();
}
