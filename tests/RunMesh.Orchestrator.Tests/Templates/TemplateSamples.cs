using System.Globalization;
using System.Text.Json.Nodes;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

/// <summary>
/// The spec-review example of docs/templates.md, in YAML and JSON, the write-book example of a run phase, and a way to
/// break one rule of them at a time.
/// </summary>
internal static class TemplateSamples
{
    public const string SpecReviewYaml = """
        name: spec-review
        version: 1
        inputs:
          schema: { type: object, required: [feature], properties: { feature: { type: string, maxLength: 2000 } } }
        phases:
          - key: spec
            executor: mock              # mock | openai | http
            instructions: "Write a spec for {{inputs.feature}}"
            artifact: { schema: { type: object, required: [title, steps], properties: { title: { type: string }, steps: { type: array, items: { type: string } } } } }
            repairAttempts: 1
            retry: { maxAttempts: 3, backoffSeconds: 1, backoffMultiplier: 2 }
            timeoutSeconds: 300
            gates: [spec-approval]
          - key: review
            executor: mock
            settings: { latencyMs: 20, invalidAttempts: 1 }
            instructions: "Review {{phases.spec.output}}"
            artifact: { schema: { type: object, required: [verdict], properties: { verdict: { type: string, enum: [approve, revise] } } } }
        budget: { maxCostUsd: 5.0, maxTokens: 200000 }
        timeoutSeconds: 3600            # whole run
        """;

    // The same content as SpecReviewYaml, with other key orders, spacing and number spellings.
    public const string SpecReviewJson = """
        {
          "timeoutSeconds": 3600,
          "budget": { "maxTokens": 200000, "maxCostUsd": 5 },
          "version": 1,
          "name": "spec-review",
          "phases": [
            {
              "executor": "mock", "key": "spec",
              "instructions": "Write a spec for {{inputs.feature}}",
              "artifact": { "schema": { "properties": { "steps": { "items": { "type": "string" }, "type": "array" }, "title": { "type": "string" } }, "required": ["title", "steps"], "type": "object" } },
              "repairAttempts": 1, "retry": { "backoffMultiplier": 2.0, "backoffSeconds": 1, "maxAttempts": 3 },
              "timeoutSeconds": 3e2, "gates": ["spec-approval"]
            },
            {
              "key": "review", "executor": "mock", "settings": { "invalidAttempts": 1, "latencyMs": 20 },
              "instructions": "Review {{phases.spec.output}}",
              "artifact": { "schema": { "type": "object", "required": ["verdict"], "properties": { "verdict": { "type": "string", "enum": ["approve", "revise"] } } } }
            }
          ],
          "inputs": { "schema": { "type": "object", "required": ["feature"], "properties": { "feature": { "type": "string", "maxLength": 2000 } } } }
        }
        """;

    public static JsonObject SpecReview() => JsonNode.Parse(SpecReviewJson)!.AsObject();

    /// <summary>A book: an outline, one child run of write-chapter@2 per chapter (at most 4 at once), then an edit of them all.</summary>
    public const string WriteBookYaml = """
        name: write-book
        version: 1
        inputs:
          schema:
            type: object
            required: [topic]
            properties: { topic: { type: string }, style: { type: string }, audience: { type: string } }
        phases:
          - key: outline
            executor: mock
            instructions: "Outline a short book about {{inputs.topic}} for {{inputs.audience}}"
            artifact:
              schema:
                type: object
                required: [chapters]
                properties:
                  chapters: { type: array, items: { type: object, required: [title], properties: { title: { type: string }, words: { type: integer } } } }
          - key: chapters
            executor: run
            settings:
              template: write-chapter@2
              inputs:
                title: "{{item.title}}"
                words: "{{ item.words }}"
                n: "{{index}}"
                heading: "Chapter {{index}}: {{item.title}}"
                style: "{{inputs.style}}"
                book: { topic: "{{inputs.topic}}", outline: "{{phases.outline.output.chapters}}", tags: [draft, "{{inputs.audience}}"] }
                draft: true
              forEach: phases.outline.output.chapters
              maxParallel: 4
            artifact: { schema: { type: object, required: [items], properties: { items: { type: array } } } }
            retry: { maxAttempts: 2 }
          - key: edit
            executor: mock
            instructions: "Edit these chapters into one book: {{phases.chapters.output.items}}"
            artifact: { schema: { type: object, required: [text], properties: { text: { type: string } } } }
        """;

    public static JsonObject WriteBook() => TemplateDocument.Parse(WriteBookYaml, "application/yaml").Json!;

    /// <summary>The write-book template with one value replaced or removed, as <see cref="SpecReviewWith"/>.</summary>
    public static JsonObject WriteBookWith(string path, string? json)
    {
        var template = WriteBook();
        Set(template, path, json);
        return template;
    }

    /// <summary>
    /// The spec-review template with the value at <paramref name="path"/> (dotted; numbers index arrays, e.g.
    /// <c>phases.0.key</c>) replaced by <paramref name="json"/>, or removed when it is <see langword="null"/>.
    /// </summary>
    public static JsonObject SpecReviewWith(string path, string? json)
    {
        var template = SpecReview();
        Set(template, path, json);
        return template;
    }

    public static void Set(JsonNode root, string path, string? json)
    {
        var segments = path.Split('.');
        var parent = root;
        foreach (var segment in segments[..^1])
        {
            parent = parent is JsonArray array ? array[int.Parse(segment, CultureInfo.InvariantCulture)]! : parent[segment]!;
        }

        var last = segments[^1];
        var value = json is null ? null : JsonNode.Parse(json);
        switch (parent)
        {
            case JsonArray array:
                array[int.Parse(last, CultureInfo.InvariantCulture)] = value;
                break;
            case JsonObject obj when json is null:
                obj.Remove(last);
                break;
            case JsonObject obj:
                obj[last] = value;
                break;
        }
    }
}
