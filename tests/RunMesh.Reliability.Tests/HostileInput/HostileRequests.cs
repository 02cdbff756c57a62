using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace RunMesh.Reliability.Tests.HostileInput;

/// <summary>The table: at least 40 requests a hostile or broken client sends, each of which must be a 4xx problem.</summary>
public static class HostileRequests
{
    private const string Admin = "admin";
    private const string Submitter = "submitter";
    private const string Approver = "approver";
    private const string Viewer = "viewer";

    private const string ValidPhase = """{"key":"spec","executor":"mock","instructions":"Write {{inputs.feature}}","artifact":{"schema":{"type":"object"}}}""";

    /// <summary>
    /// A template whose instructions reference one input 200 times: a 5,000-character input renders to 1 MB, over the
    /// orchestrator's limit on rendered instructions (registered by the test's fixture).
    /// </summary>
    public static readonly string WideTemplate = TestTemplates.WideInstructions("rel-wide");

    public static IReadOnlyList<HostileRequest> All { get; } = Build();

    /// <summary>A template (registered by the test's fixture) whose input pattern backtracks exponentially on <c>aaa…!</c>.</summary>
    public const string BacktrackingPatternTemplate = """
        name: rel-backtracking
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, pattern: "^(a+)+$" } } }
        phases:
          - key: spec
            executor: mock
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object } }
        """;

    private static List<HostileRequest> Build()
    {
        var deepJson = string.Concat(Enumerable.Repeat("{\"a\":", 400)) + "1" + new string('}', 400);
        var deepSchema = string.Concat(Enumerable.Repeat("{\"type\":\"object\",\"properties\":{\"a\":", 300)) + "{}" + string.Concat(Enumerable.Repeat("}}", 300));
        var huge = new string('x', 200_000);
        return
        [
            // Templates (admin): malformed bodies, wrong types, bad schemas.
            HostileRequest.Json("template: malformed JSON", Admin, "POST", "/api/templates", """{"name": "bad", "version": 1,"""),
            new("template: malformed YAML (unclosed flow sequence)", Admin, "POST", "/api/templates", Encoding.UTF8.GetBytes("name: [unclosed\nversion: 1\n"), "application/yaml", 400),
            new("template: malformed YAML (bad indentation)", Admin, "POST", "/api/templates", Encoding.UTF8.GetBytes("name: x\n  version: 1\n phases: - a\n"), "application/yaml", 400),
            new("template: YAML that is a scalar", Admin, "POST", "/api/templates", Encoding.UTF8.GetBytes("just a string\n"), "application/yaml", 400),
            new("template: YAML with a tab indent", Admin, "POST", "/api/templates", Encoding.UTF8.GetBytes("name: x\nversion: 1\nphases:\n\t- key: a\n"), "application/yaml", 400),
            HostileRequest.Json("template: version is a string", Admin, "POST", "/api/templates", $$"""{"name":"t","version":"one","phases":[{{ValidPhase}}]}"""),
            HostileRequest.Json("template: negative version", Admin, "POST", "/api/templates", $$"""{"name":"t","version":-1,"phases":[{{ValidPhase}}]}"""),
            HostileRequest.Json("template: version beyond double range", Admin, "POST", "/api/templates", $$"""{"name":"t","version":1e400,"phases":[{{ValidPhase}}]}"""),
            HostileRequest.Json("template: path traversal in the name", Admin, "POST", "/api/templates", $$"""{"name":"../../etc/passwd","version":1,"phases":[{{ValidPhase}}]}"""),
            HostileRequest.Json("template: SQL in the name", Admin, "POST", "/api/templates", $$"""{"name":"x'; DROP TABLE templates;--","version":1,"phases":[{{ValidPhase}}]}"""),
            HostileRequest.Json("template: huge name", Admin, "POST", "/api/templates", $$"""{"name":"{{huge}}","version":1,"phases":[{{ValidPhase}}]}"""),
            HostileRequest.Json("template: unknown field", Admin, "POST", "/api/templates", $$"""{"name":"t","version":1,"phases":[{{ValidPhase}}],"evil":true}"""),
            HostileRequest.Json("template: remote $ref in a schema", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"mock","instructions":"x","artifact":{"schema":{"$ref":"http://127.0.0.1:1/evil.json"}}}]}"""),
            HostileRequest.Json("template: file $ref in a schema", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"mock","instructions":"x","artifact":{"schema":{"$ref":"file:///etc/passwd"}}}]}"""),
            // Schema references however cased, and patterns that backtrack: refused, nothing fetched, answered quickly.
            HostileRequest.Json("template: $Ref (any casing) to a remote schema", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"mock","instructions":"x","artifact":{"schema":{"type":"object","properties":{"a":{"$Ref":"http://127.0.0.1:1/evil.json"}}}}}]}""", 400),
            HostileRequest.Json("template: $ID (any casing) naming a remote document", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"inputs":{"schema":{"$ID":"http://127.0.0.1:1/root.json","type":"object"}},"phases":[{"key":"a","executor":"mock","instructions":"x","artifact":{"schema":{"type":"object"}}}]}""", 400),
            HostileRequest.Json("run: input that makes the template's pattern backtrack", Submitter, "POST", "/api/runs",
                "{\"template\": \"rel-backtracking@1\", \"inputs\": {\"feature\": \"" + new string('a', 40) + "!\"}}", 422),
            HostileRequest.Json("template: schema is not a schema", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"mock","instructions":"x","artifact":{"schema":{"type":"no-such-type"}}}]}"""),
            HostileRequest.Json("template: unknown executor", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"shell","instructions":"rm -rf /","artifact":{"schema":{"type":"object"}}}]}"""),
            HostileRequest.Json("template: duplicate phase keys", Admin, "POST", "/api/templates", $$"""{"name":"t","version":1,"phases":[{{ValidPhase}},{{ValidPhase}}]}"""),
            HostileRequest.Json("template: reference to a later phase", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"mock","instructions":"{{phases.b.output}}","artifact":{"schema":{"type":"object"}}},{"key":"b","executor":"mock","instructions":"x","artifact":{"schema":{"type":"object"}}}]}"""),
            HostileRequest.Json("template: deeply nested schema", Admin, "POST", "/api/templates",
                """{"name":"t","version":1,"phases":[{"key":"a","executor":"mock","instructions":"x","artifact":{"schema":""" + deepSchema + "}}]}"),
            HostileRequest.Json("template: an array instead of an object", Admin, "POST", "/api/templates", "[]"),
            HostileRequest.Json("template: null", Admin, "POST", "/api/templates", "null"),
            HostileRequest.Json("template: empty body", Admin, "POST", "/api/templates", ""),
            new("template: invalid UTF-8 bytes", Admin, "POST", "/api/templates", [.. "{\"name\":\""u8, 0xC3, 0x28, 0xFF, .. "\",\"version\":1}"u8], "application/json"),
            new("template: text/plain body", Admin, "POST", "/api/templates", Encoding.UTF8.GetBytes("name: t"), "text/plain", 415),
            HostileRequest.Get("template: path traversal in the key", Viewer, "/api/templates/..%2F..%2Fetc%2Fpasswd/1"),
            HostileRequest.Get("template: version not a number", Viewer, "/api/templates/rel-steady/1%20OR%201=1"),

            // Runs (submitter): malformed bodies, wrong types, values with no canonical JSON form.
            HostileRequest.Json("run: malformed JSON", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"""),
            HostileRequest.Json("run: template is a number", Submitter, "POST", "/api/runs", """{"template": 42, "inputs": {"feature": "x"}}"""),
            HostileRequest.Json("run: inputs is a string", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": "feature"}"""),
            HostileRequest.Json("run: unknown field", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x"}, "sudo": true}"""),
            HostileRequest.Json("run: unknown template", Submitter, "POST", "/api/runs", """{"template": "no-such-template@1", "inputs": {"feature": "x"}}"""),
            HostileRequest.Json("run: SQL in the template", Submitter, "POST", "/api/runs", """{"template": "x' OR '1'='1'; --@1", "inputs": {"feature": "x"}}"""),
            HostileRequest.Json("run: path traversal in the template", Submitter, "POST", "/api/runs", """{"template": "../../../etc/passwd@1", "inputs": {"feature": "x"}}"""),
            HostileRequest.Json("run: inputs of the wrong type for the schema", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": 12}}"""),
            HostileRequest.Json("run: huge input string", Submitter, "POST", "/api/runs", "{\"template\": \"rel-steady@1\", \"inputs\": {\"feature\": \"" + huge + "\"}}"),
            HostileRequest.Json("run: number beyond double range in inputs", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x", "n": 1e400}}"""),
            HostileRequest.Json("run: negative huge number in inputs", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x", "n": -1e400}}"""),
            new("run: invalid UTF-8 in an input string", Submitter, "POST", "/api/runs",
                [.. "{\"template\": \"rel-steady@1\", \"inputs\": {\"feature\": \""u8, 0xED, 0xA0, 0x80, 0xFE, .. "\"}}"u8]),
            HostileRequest.Json("run: lone surrogate escape in an input string", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "\ud800"}}"""),
            HostileRequest.Json("run: deeply nested inputs", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x", "deep": """ + deepJson + "}}"),
            HostileRequest.Json("run: negative budget", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x"}, "options": {"budget": {"maxCostUsd": -5}}}"""),
            HostileRequest.Json("run: maxDepth beyond int", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x"}, "options": {"maxDepth": 99999999999999999999}}"""),
            HostileRequest.Json("run: negative timeout", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x"}, "options": {"timeoutSeconds": -1}}"""),
            HostileRequest.Json("run: parentRunId not a UUID", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x"}, "parentRunId": "../../etc"}"""),
            HostileRequest.Json("run: unknown parentRunId", Submitter, "POST", "/api/runs", $$"""{"template": "rel-steady@1", "inputs": {"feature": "x"}, "parentRunId": "{{Guid.NewGuid()}}"}"""),
            HostileRequest.Json("run: labels of the wrong type", Submitter, "POST", "/api/runs", """{"template": "rel-steady@1", "inputs": {"feature": "x"}, "options": {"labels": ["a"]}}"""),

            // Run queries (viewer).
            HostileRequest.Get("runs: garbage cursor", Viewer, "/api/runs?cursor=%27%3B%20DROP%20TABLE%20runs%3B--", 400),
            HostileRequest.Get("runs: cursor with extreme ticks", Viewer, "/api/runs?cursor=f_________________________________", 400),
            HostileRequest.Get("runs: negative limit", Viewer, "/api/runs?limit=-1", 400),
            HostileRequest.Get("runs: limit beyond int", Viewer, "/api/runs?limit=99999999999999999999", 400),
            HostileRequest.Get("runs: unknown state", Viewer, "/api/runs?state=exploded", 400),
            HostileRequest.Get("runs: id not a UUID", Viewer, "/api/runs/not-a-uuid"),
            HostileRequest.Get("runs: path traversal in the id", Viewer, "/api/runs/..%2F..%2Fetc%2Fpasswd"),
            HostileRequest.Get("runs: negative after", Viewer, "/api/runs/{completedRun}/events?after=-5", 400),
            HostileRequest.Get("runs: path traversal in the artifact key", Viewer, "/api/runs/{completedRun}/artifacts/..%2F..%2Fetc%2Fpasswd"),
            HostileRequest.Get("runs: artifact attempt beyond int", Viewer, "/api/runs/{completedRun}/artifacts/spec?attempt=99999999999999999999", 400),

            // Bad state transitions (submitter).
            HostileRequest.Json("transition: cancel a completed run", Submitter, "POST", "/api/runs/{completedRun}/cancel", "{}", 409),
            HostileRequest.Json("transition: retry a completed run", Submitter, "POST", "/api/runs/{completedRun}/retry", "{}", 409),
            HostileRequest.Json("transition: cancel with a malformed body", Submitter, "POST", "/api/runs/{completedRun}/cancel", """{"reason": """, 400),
            HostileRequest.Json("transition: retry with an unknown field", Submitter, "POST", "/api/runs/{failedRun}/retry", """{"force": true}""", 400),
            HostileRequest.Json("transition: cancel an unknown run", Submitter, "POST", $"/api/runs/{Guid.NewGuid()}/cancel", "{}", 404),

            // Approvals (approver).
            HostileRequest.Get("approvals: garbage cursor", Approver, "/api/approvals?cursor=%00%01garbage", 400),
            HostileRequest.Get("approvals: unknown state", Approver, "/api/approvals?state=maybe", 400),
            HostileRequest.Json("approval: unknown action", Approver, "POST", "/api/approvals/{decidedRequest}/decision", """{"action": "maybe"}""", 400),
            HostileRequest.Json("approval: comment too long", Approver, "POST", "/api/approvals/{decidedRequest}/decision", $$"""{"action": "approve", "comment": "{{new string('c', 3000)}}"}""", 400),
            HostileRequest.Json("approval: unknown field", Approver, "POST", "/api/approvals/{decidedRequest}/decision", """{"action": "approve", "as": "admin"}""", 400),
            HostileRequest.Json("transition: reject a request already approved", Approver, "POST", "/api/approvals/{decidedRequest}/decision", """{"action": "reject"}""", 409),
            HostileRequest.Json("transition: decide an unknown request", Approver, "POST", $"/api/approvals/{Guid.NewGuid()}/decision", """{"action": "approve"}""", 404),

            // Reports (viewer).
            HostileRequest.Get("report: negative generation", Viewer, "/api/runs/{completedRun}/report?generation=-1", 400),
            HostileRequest.Get("report: generation not a number", Viewer, "/api/runs/{completedRun}/report?generation=1%3B%20SELECT%201", 400),
            HostileRequest.Get("report: id not a UUID", Viewer, "/api/runs/%27%20OR%201%3D1/manifest", 400),

            // Studies (submitter, viewer): the planner's endpoints.
            HostileRequest.Json("study: malformed JSON", Submitter, "POST", "/api/studies", """{"name": "s", "template": """),
            new("study: YAML that is a scalar", Submitter, "POST", "/api/studies", Encoding.UTF8.GetBytes("just a string\n"), "application/yaml", 400),
            new("study: deeply nested YAML", Submitter, "POST", "/api/studies",
                Encoding.UTF8.GetBytes("name: s\ninputs: " + new string('[', 300) + new string(']', 300) + "\n"), "application/yaml", 400),
            HostileRequest.Json("study: deeply nested JSON", Submitter, "POST", "/api/studies", deepJson, 400),
            HostileRequest.Json("study: unknown fields", Submitter, "POST", "/api/studies",
                """{"name": "s", "template": "rel-steady@1", "as": "admin", "priority": 9}""", 400) with { Mentions = "$.as" },
            HostileRequest.Json("study: 10^6 planned runs and no maxRuns", Submitter, "POST", "/api/studies",
                new JsonObject
                {
                    ["name"] = "huge",
                    ["template"] = "rel-steady@1",
                    ["factors"] = new JsonObject(Enumerable.Range(0, 6).Select(i =>
                        KeyValuePair.Create<string, JsonNode?>($"inputs.f{i}", new JsonArray([.. Enumerable.Range(0, 10).Select(n => (JsonNode?)n)])))),
                }.ToJsonString(), 400) with { Mentions = "10,000" },
            HostileRequest.Json("study: a factor outside inputs and model", Submitter, "POST", "/api/studies",
                """{"name": "s", "template": "rel-steady@1", "factors": {"options.force": [true, false]}}""", 400),
            HostileRequest.Json("study: parallelism beyond the limit", Submitter, "POST", "/api/studies",
                """{"name": "s", "template": "rel-steady@1", "parallelism": 100000}""", 400),
            HostileRequest.Json("study: body over the size limit", Submitter, "POST", "/api/studies", $$"""{"name": "s", "pad": "{{new string('x', 300_000)}}"}""", 413),
            new("study: text/plain body", Submitter, "POST", "/api/studies", Encoding.UTF8.GetBytes("name: s"), "text/plain", 415),
            HostileRequest.Json("study: dryRun not a boolean", Submitter, "POST", "/api/studies?dryRun=maybe", """{"name": "s"}""", 400),
            HostileRequest.Get("studies: garbage cursor", Viewer, "/api/studies?cursor=%27%3B%20DROP%20TABLE%20studies%3B--", 400),
            HostileRequest.Get("studies: unknown state", Viewer, "/api/studies?state=exploded", 400),
            HostileRequest.Get("studies: negative limit", Viewer, "/api/studies?limit=-1", 400),
            HostileRequest.Get("studies: id not a UUID", Viewer, "/api/studies/..%2F..%2Fetc%2Fpasswd", 404),
            HostileRequest.Get("studies: runs of an unknown study", Viewer, $"/api/studies/{Guid.NewGuid()}/runs", 404),
            HostileRequest.Json("transition: cancel an unknown study", Submitter, "POST", $"/api/studies/{Guid.NewGuid()}/cancel", "{}", 404),

            .. NullFieldsAndRenderingLimit(),
        ];
    }

    /// <summary>
    /// Every field of every JSON body set to null in an otherwise valid body (a 400 <c>invalid_request</c> naming the
    /// field), and a start whose instructions would render past the size limit (422 <c>instructions_too_large</c>).
    /// </summary>
    private static IEnumerable<HostileRequest> NullFieldsAndRenderingLimit()
    {
        // Valid but for its parent, which does not exist: were a null accepted, the start would still write nothing.
        var fullStart = $$$"""
            {"template":"rel-steady@1","inputs":{"feature":"x"},"model":{"name":"mock"},
             "options":{"force":false,"maxDepth":3,"budget":{"maxCostUsd":1,"maxTokens":1000},"timeoutSeconds":60,"labels":{"team":"docs"}},
             "parentRunId":"{{{Guid.NewGuid()}}}"}
            """;
        foreach (var field in new[]
        {
            "template", "inputs", "model", "options", "options.force", "options.maxDepth", "options.budget", "options.budget.maxCostUsd",
            "options.budget.maxTokens", "options.timeoutSeconds", "options.labels", "options.labels.team", "parentRunId",
        })
        {
            yield return NullField("run", Submitter, "/api/runs", fullStart, field);
        }

        yield return NullField("transition: cancel", Submitter, "/api/runs/{completedRun}/cancel", """{"reason":"not needed"}""", "reason");
        yield return NullField("approval", Approver, "/api/approvals/{decidedRequest}/decision", """{"action":"approve","comment":"ok"}""", "action");
        yield return NullField("approval", Approver, "/api/approvals/{decidedRequest}/decision", """{"action":"approve","comment":"ok"}""", "comment");

        const string Template = """{"name":"t","version":1,"inputs":{"schema":{"type":"object"}},"budget":{"maxCostUsd":1,"maxTokens":1000},"timeoutSeconds":60,"phases":[{"key":"spec","executor":"mock","settings":{},"instructions":"x","artifact":{"schema":{"type":"object"}},"repairAttempts":1,"retry":{"maxAttempts":2,"backoffSeconds":1,"backoffMultiplier":2},"timeoutSeconds":60,"gates":["g"]}]}""";
        foreach (var field in new[]
        {
            "name", "version", "inputs", "inputs.schema", "budget", "budget.maxCostUsd", "budget.maxTokens", "timeoutSeconds", "phases",
            "phases.0", "phases.0.key", "phases.0.executor", "phases.0.instructions", "phases.0.artifact", "phases.0.artifact.schema",
            "phases.0.repairAttempts", "phases.0.retry", "phases.0.retry.maxAttempts", "phases.0.retry.backoffSeconds",
            "phases.0.retry.backoffMultiplier", "phases.0.timeoutSeconds", "phases.0.gates", "phases.0.gates.0",
        })
        {
            var body = JsonNode.Parse(Template)!;
            SetNull(body, field);
            var path = "$" + string.Concat(field.Split('.').Select(s => int.TryParse(s, out var i) ? $"[{i}]" : "." + s));
            yield return HostileRequest.Json($"template: {field} is null", Admin, "POST", "/api/templates", body.ToJsonString(), 400) with { Mentions = path };
        }

        yield return new("template (YAML): phases is null", Admin, "POST", "/api/templates",
            Encoding.UTF8.GetBytes("name: t\nversion: 1\nphases: null\n"), "application/yaml", 400)
        { Mentions = "$.phases" };
        yield return new("template (YAML): name is null", Admin, "POST", "/api/templates",
            Encoding.UTF8.GetBytes("name: ~\nversion: 1\nphases: []\n"), "application/yaml", 400)
        { Mentions = "$.name" };

        yield return HostileRequest.Json("run: instructions that render past the size limit", Submitter, "POST", "/api/runs",
            $$$"""{"template":"rel-wide@1","inputs":{"feature":"{{{new string('w', 5000)}}}"}}""", 422) with
        { Mentions = "instructions_too_large" };
    }

    private static HostileRequest NullField(string what, string role, string path, string validBody, string field)
    {
        var body = JsonNode.Parse(validBody)!;
        SetNull(body, field);
        return HostileRequest.Json($"{what}: {field} is null", role, "POST", path, body.ToJsonString(), 400) with { Mentions = $"$.{field}" };
    }

    private static void SetNull(JsonNode root, string dotted)
    {
        var segments = dotted.Split('.');
        var parent = root;
        foreach (var segment in segments[..^1])
        {
            parent = parent is JsonArray array ? array[int.Parse(segment, CultureInfo.InvariantCulture)]! : parent[segment]!;
        }

        if (parent is JsonArray list)
        {
            list[int.Parse(segments[^1], CultureInfo.InvariantCulture)] = null;
        }
        else
        {
            parent[segments[^1]] = null;
        }
    }
}
