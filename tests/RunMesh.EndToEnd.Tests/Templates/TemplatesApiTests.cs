using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RunMesh.EndToEnd.Tests.Gateway;
using RunMesh.EndToEnd.Tests.Mesh;

namespace RunMesh.EndToEnd.Tests.Templates;

/// <summary>
/// <c>/api/templates</c> through the gateway, against the real orchestrator process and its database: registration
/// (created, identical, conflict, invalid, unreadable, wrong media type, concurrent), listing with paging, reading.
/// </summary>
public sealed class TemplatesApiTests(MeshFixture fixture) : IClassFixture<MeshFixture>
{
    private HttpClient Admin => fixture.Mesh.GatewayClient("admin");

    private HttpClient Viewer => fixture.Mesh.GatewayClient("viewer");

    private static string NewName() => $"t{Guid.NewGuid():N}"[..16];

    private static string Yaml(string name, int version = 1, string instructions = "Write a spec for {{inputs.feature}}") => $"""
        name: {name}
        version: {version}
        inputs:
          schema: {"{"} type: object, required: [feature], properties: {"{"} feature: {"{"} type: string {"}"} {"}"} {"}"}
        phases:
          - key: spec
            executor: mock
            instructions: "{instructions}"
            artifact: {"{"} schema: {"{"} type: object, required: [title] {"}"} {"}"}
          - key: review
            executor: mock
            instructions: "Review {"{{"}phases.spec.output{"}}"}"
            artifact: {"{"} schema: {"{"} type: object {"}"} {"}"}
        timeoutSeconds: 600
        """;

    // The same content as Yaml(name, version), as JSON in another key order.
    private static string Json(string name, int version = 1) => $$$"""
        {
          "timeoutSeconds": 600,
          "phases": [
            { "artifact": { "schema": { "required": ["title"], "type": "object" } }, "instructions": "Write a spec for {{inputs.feature}}", "executor": "mock", "key": "spec" },
            { "key": "review", "executor": "mock", "instructions": "Review {{phases.spec.output}}", "artifact": { "schema": { "type": "object" } } }
          ],
          "inputs": { "schema": { "properties": { "feature": { "type": "string" } }, "required": ["feature"], "type": "object" } },
          "version": {{{version}}},
          "name": "{{{name}}}"
        }
        """;

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string body, string contentType) =>
        await client.PostAsync("/api/templates", new StringContent(body, Encoding.UTF8, contentType));

    // Read as text: the problem assertions have read the content already.
    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Registering_yaml_creates_the_template_and_identical_json_is_a_no_op()
    {
        var name = NewName();

        using var created = await PostAsync(Admin, Yaml(name), "application/yaml");
        using var again = await PostAsync(Admin, Json(name), "application/json");

        var createdText = await created.Content.ReadAsStringAsync();
        created.StatusCode.ShouldBe(HttpStatusCode.Created, createdText);
        created.Headers.Location!.ToString().ShouldBe($"/api/templates/{name}/1");
        var summary = await BodyAsync(created);
        summary.GetProperty("name").GetString().ShouldBe(name);
        summary.GetProperty("version").GetInt32().ShouldBe(1);
        summary.GetProperty("hash").GetString().ShouldStartWith("sha256:");
        summary.GetProperty("createdAt").GetDateTimeOffset().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));
        summary.GetProperty("phases").EnumerateArray().Select(p => p.GetString()).ShouldBe(["spec", "review"]);

        again.StatusCode.ShouldBe(HttpStatusCode.OK, await again.Content.ReadAsStringAsync());
        var same = await BodyAsync(again);
        same.GetProperty("hash").GetString().ShouldBe(summary.GetProperty("hash").GetString());
        same.GetProperty("createdAt").GetDateTimeOffset().ShouldBe(summary.GetProperty("createdAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Other_content_under_a_registered_name_and_version_is_a_conflict_naming_the_registered_hash()
    {
        var name = NewName();
        using var created = await PostAsync(Admin, Yaml(name), "text/yaml");
        var registeredHash = (await BodyAsync(created)).GetProperty("hash").GetString()!;

        using var changed = await PostAsync(Admin, Yaml(name, instructions: "Write a better spec for {{inputs.feature}}"), "application/x-yaml");

        await changed.ShouldBeProblemAsync(HttpStatusCode.Conflict, "template_conflict");
        var problem = await BodyAsync(changed);
        problem.GetProperty("detail").GetString()!.ShouldContain(registeredHash);
        problem.GetProperty("registeredHash").GetString().ShouldBe(registeredHash);
    }

    [Fact]
    public async Task An_invalid_template_is_refused_with_every_problem()
    {
        var yaml = $"""
            name: {NewName()}
            version: 0
            phases:
              - key: spec
                executor: shell
                instructions: "Use {"{{"}phases.review.output{"}}"}"
                artifact: {"{"} schema: {"{"} $ref: "http://example.com/schema.json" {"}"} {"}"}
              - key: spec
                executor: mock
                instructions: "again"
                artifact: {"{"} schema: {"{"} type: object {"}"} {"}"}
            colour: blue
            """;

        using var response = await PostAsync(Admin, yaml, "application/yaml");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_template");
        var errors = (await BodyAsync(response)).GetProperty("errors").EnumerateArray().ToList();
        var paths = errors.Select(e => e.GetProperty("path").GetString()).ToList();
        paths.ShouldContain("$.version");
        paths.ShouldContain("$.phases[0].executor");
        paths.ShouldContain("$.phases[1].key");
        paths.ShouldContain("$.colour");
        paths.ShouldContain(p => p!.StartsWith("$.phases[0].artifact.schema", StringComparison.Ordinal));
        errors.ShouldAllBe(e => !string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_template_with_a_remote_ref_is_refused_and_nothing_is_fetched()
    {
        // A listener the test owns stands where the $ref points: any fetch of the schema would connect to it.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var connections = 0;
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var client = await listener.AcceptTcpClientAsync(stop.Token);
                    Interlocked.Increment(ref connections);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var name = NewName();
        var yaml = $$$"""
            name: {{{name}}}
            version: 1
            inputs:
              schema: { type: object, properties: { feature: { $ref: "http://127.0.0.1:{{{port}}}/inputs.json" } } }
            phases:
              - key: spec
                executor: mock
                instructions: "Write a spec for {{inputs.feature}}"
                artifact: { schema: { $ref: "http://127.0.0.1:{{{port}}}/schema.json" } }
            """;

        using var response = await PostAsync(Admin, yaml, "application/yaml");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_template");
        var errors = (await BodyAsync(response)).GetProperty("errors").EnumerateArray().ToList();
        var paths = errors.Select(e => e.GetProperty("path").GetString()!).ToList();
        paths.ShouldContain(p => p.StartsWith("$.phases[0].artifact.schema", StringComparison.Ordinal), string.Join(", ", paths));
        paths.ShouldContain(p => p.StartsWith("$.inputs.schema", StringComparison.Ordinal), string.Join(", ", paths));
        errors.ShouldAllBe(e => !string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
        using var read = await Viewer.GetAsync($"/api/templates/{name}/1");
        read.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        // Validation answers in the request: a fetch would have connected before the 400 came back.
        await stop.CancelAsync();
        await accepting;
        Volatile.Read(ref connections).ShouldBe(0);
        listener.Pending().ShouldBeFalse();
    }

    [Theory]
    [InlineData("{\"name\": ", "application/json")]
    [InlineData("[1, 2]", "application/json")]
    [InlineData("name: [unclosed", "application/yaml")]
    [InlineData("", "application/json")]
    [InlineData("   ", "application/yaml")]
    public async Task A_body_that_is_no_template_document_is_an_invalid_request(string body, string contentType)
    {
        using var response = await PostAsync(Admin, body, contentType);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "invalid_request");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_body_of_another_media_type_is_refused_with_415(string contentType)
    {
        using var response = await PostAsync(Admin, Json(NewName()), contentType);

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task A_viewer_cannot_register_a_template()
    {
        using var response = await PostAsync(Viewer, Yaml(NewName()), "application/yaml");

        await response.ShouldBeProblemAsync(HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task Ten_concurrent_identical_registrations_create_the_template_exactly_once()
    {
        var yaml = Yaml(NewName());

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostAsync(Admin, yaml, "application/yaml")));

        var statuses = responses.Select(r => r.StatusCode).ToList();
        statuses.Count(s => s == HttpStatusCode.Created).ShouldBe(1, string.Join(", ", statuses));
        statuses.Count(s => s == HttpStatusCode.OK).ShouldBe(9, string.Join(", ", statuses));
        var hashes = await Task.WhenAll(responses.Select(async r => (await BodyAsync(r)).GetProperty("hash").GetString()));
        hashes.Distinct().Count().ShouldBe(1);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_registered_template_is_read_by_name_and_version()
    {
        var name = NewName();
        using var created = await PostAsync(Admin, Yaml(name, 2), "application/yaml");
        var summary = await BodyAsync(created);

        using var response = await Viewer.GetAsync($"/api/templates/{name}/2");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var template = await BodyAsync(response);
        template.GetProperty("name").GetString().ShouldBe(name);
        template.GetProperty("version").GetInt32().ShouldBe(2);
        template.GetProperty("hash").GetString().ShouldBe(summary.GetProperty("hash").GetString());
        template.GetProperty("createdAt").GetDateTimeOffset().ShouldBe(summary.GetProperty("createdAt").GetDateTimeOffset());
        template.GetProperty("createdBy").GetString().ShouldBe("test-admin");
        var json = template.GetProperty("template");
        json.GetProperty("name").GetString().ShouldBe(name);
        json.GetProperty("timeoutSeconds").GetInt32().ShouldBe(600);
        json.GetProperty("phases")[1].GetProperty("instructions").GetString().ShouldBe("Review {{phases.spec.output}}");
        // Registering exactly what the API answers gives the same template (the JSON is its registered content).
        using var again = await PostAsync(Admin, json.GetRawText(), "application/json");
        again.StatusCode.ShouldBe(HttpStatusCode.OK, await again.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/api/templates/never-registered/1", HttpStatusCode.NotFound, "template_not_found")]
    [InlineData("/api/templates/never-registered/one", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates/never-registered/0", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates?limit=0", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates?limit=201", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates?limit=ten", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates?cursor=not-a-cursor", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates?name=Spec_Review", HttpStatusCode.BadRequest, "invalid_request")]
    [InlineData("/api/templates?name=spec-review@1", HttpStatusCode.BadRequest, "invalid_request")]
    public async Task Unknown_templates_and_bad_parameters_are_problems(string path, HttpStatusCode status, string code)
    {
        using var response = await Viewer.GetAsync(path);

        await response.ShouldBeProblemAsync(status, code);
    }

    [Fact]
    public async Task Listing_pages_through_every_template_newest_first()
    {
        var names = Enumerable.Range(0, 5).Select(_ => NewName()).ToList();
        foreach (var name in names)
        {
            using var created = await PostAsync(Admin, Yaml(name), "application/yaml");
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var seen = new List<JsonElement>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var path = cursor is null ? "/api/templates?limit=2" : $"/api/templates?limit=2&cursor={Uri.EscapeDataString(cursor)}";
            using var response = await Viewer.GetAsync(path);
            response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            var page = await BodyAsync(response);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            items.Count.ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(items);
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 100);

        cursor.ShouldBeNull();
        seen.Select(t => $"{t.GetProperty("name").GetString()}@{t.GetProperty("version").GetInt32()}").ShouldBeUnique();
        seen.Select(t => t.GetProperty("createdAt").GetDateTimeOffset()).ShouldBeInOrder(SortDirection.Descending);
        seen.Select(t => t.GetProperty("name").GetString()).Where(n => names.Contains(n!)).ShouldBe(Enumerable.Reverse(names).ToList());
        seen.ShouldAllBe(t => t.GetProperty("hash").GetString()!.StartsWith("sha256:", StringComparison.Ordinal));

        using var first = await Viewer.GetAsync("/api/templates");
        var firstPage = await BodyAsync(first);
        firstPage.GetProperty("items")[0].GetProperty("name").GetString().ShouldBe(names[^1]);
    }

    [Fact]
    public async Task Listing_by_name_answers_every_version_of_that_template_and_nothing_else()
    {
        var name = NewName();
        var other = NewName();
        foreach (var (template, version) in new[] { (name, 1), (other, 1), (name, 2) })
        {
            using var created = await PostAsync(Admin, Yaml(template, version), "application/yaml");
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        using var response = await Viewer.GetAsync($"/api/templates?name={name}&limit=1");
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var first = await BodyAsync(response);
        using var next = await Viewer.GetAsync($"/api/templates?name={name}&limit=1&cursor={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}");
        var second = await BodyAsync(next);
        using var unknown = await Viewer.GetAsync($"/api/templates?name={NewName()}");
        var none = await BodyAsync(unknown);

        first.GetProperty("items").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}@{t.GetProperty("version").GetInt32()}")
            .ShouldBe([$"{name}@2"]);
        second.GetProperty("items").EnumerateArray().Select(t => $"{t.GetProperty("name").GetString()}@{t.GetProperty("version").GetInt32()}")
            .ShouldBe([$"{name}@1"]);
        second.GetProperty("nextCursor").ValueKind.ShouldBe(JsonValueKind.Null);
        none.GetProperty("items").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task The_orchestrator_api_document_describes_the_template_endpoints()
    {
        using var client = fixture.Mesh.GatewayClient(null);

        using var response = await client.GetAsync("/openapi/orchestrator.json");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var paths = (await BodyAsync(response)).GetProperty("paths");
        var register = paths.GetProperty("/api/templates").GetProperty("post");
        register.GetProperty("operationId").GetString().ShouldBe("RegisterTemplate");
        register.GetProperty("tags")[0].GetString().ShouldBe("Templates");
        register.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/yaml", out _).ShouldBeTrue();
        register.GetProperty("responses").TryGetProperty("409", out _).ShouldBeTrue();
        paths.GetProperty("/api/templates").GetProperty("get").GetProperty("operationId").GetString().ShouldBe("ListTemplates");
        paths.GetProperty("/api/templates/{name}/{version}").GetProperty("get").GetProperty("operationId").GetString().ShouldBe("GetTemplate");
    }
}
