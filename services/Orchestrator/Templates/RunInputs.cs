using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// Admission checks on a run's inputs (docs/architecture.md, "How a run moves", step 1), and the run's <c>InputBundleHash</c>.
/// </summary>
public static class RunInputs
{
    /// <summary>
    /// Inputs and model are hashed and stored as canonical JSON (RFC 8785), but a JSON parser accepts values that have
    /// no canonical form (<c>1e400</c>, invalid UTF-8 or a lone surrogate in a string); only the hashing would find
    /// out. Returns the first such field (<c>inputs</c> or <c>model</c>), or null when both have one.
    /// </summary>
    public static string? FieldWithoutCanonicalForm(JsonObject? inputs, JsonObject? model)
    {
        foreach (var (field, node) in new (string, JsonObject?)[] { ("inputs", inputs), ("model", model) })
        {
            try
            {
                CanonicalJson.Serialize(node);
            }
            catch (Exception ex) when (ex is CanonicalJsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
            {
                return field;
            }
        }

        return null;
    }

    /// <summary>
    /// Checks <paramref name="inputs"/> against <paramref name="template"/>: every error against its <c>inputs.schema</c>
    /// (path <c>$.inputs…</c>, message a sentence such as <c>required property missing</c> or <c>must be one of: a, b</c>,
    /// or that a pattern took too long to evaluate), and every input that a phase's instructions (or a run phase's
    /// settings) reference but the inputs lack. Empty when the run may start; otherwise the API answers 422 <c>invalid_inputs</c> with the list.
    /// </summary>
    public static IReadOnlyList<ValidationProblem> Validate(WorkflowTemplate template, JsonObject inputs)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(inputs);

        var problems = new List<ValidationProblem>();
        if (template.InputSchema is { } schema)
        {
            foreach (var error in schema.Compiled.FindErrors(inputs))
            {
                problems.Add(new ValidationProblem("$.inputs" + error.Path[1..], error.Message));
            }
        }

        foreach (var phase in template.Phases)
        {
            var referenced = phase.References.Select(r => (Reference: r, By: "instructions"))
                .Concat(phase.ChildInputReferences.Select(r => (Reference: r, By: "settings")));
            foreach (var (reference, by) in referenced)
            {
                var path = $"$.inputs.{reference.Name}";
                if (reference.Kind == InstructionReferenceKind.Input
                    && !inputs.ContainsKey(reference.Name)
                    && !problems.Any(p => string.Equals(p.Path, path, StringComparison.Ordinal)))
                {
                    problems.Add(new ValidationProblem(path, $"is missing, and phase \"{phase.Key}\"'s {by} reference it"));
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// The JSON object whose digest is the <c>InputBundleHash</c>:
    /// <code>
    /// {
    ///   "templateHash": templateHash,          // "sha256:…" of the template
    ///   "inputs":  inputs,                     // {} when null
    ///   "model":   model,                      // {} when null
    ///   "options": {                           // the run's options after defaults, WITHOUT force
    ///     "maxDepth": options.maxDepth,        // default 3
    ///     "labels":   options.labels,          // default {}
    ///     "budget":   { "maxCostUsd"?, "maxTokens"? },  // only when given with at least one limit; only the limits given
    ///     "timeoutSeconds": options.timeoutSeconds      // only when given
    ///   }
    /// }
    /// </code>
    /// Budget and timeout are the run's own, as given (not the template's, not the effective budget).
    /// </summary>
    public static JsonObject InputBundle(string templateHash, JsonObject? inputs, JsonObject? model, RunOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(templateHash);
        options ??= new RunOptions();

        var labels = new JsonObject();
        foreach (var (name, value) in options.Labels ?? new Dictionary<string, string>())
        {
            labels[name] = value;
        }

        var optionsJson = new JsonObject
        {
            ["maxDepth"] = options.MaxDepth,
            ["labels"] = labels,
        };

        if (options.Budget is { } budget && (budget.MaxCostUsd is not null || budget.MaxTokens is not null))
        {
            var budgetJson = new JsonObject();
            if (budget.MaxCostUsd is { } maxCostUsd)
            {
                budgetJson["maxCostUsd"] = maxCostUsd;
            }

            if (budget.MaxTokens is { } maxTokens)
            {
                budgetJson["maxTokens"] = maxTokens;
            }

            optionsJson["budget"] = budgetJson;
        }

        if (options.TimeoutSeconds is { } timeoutSeconds)
        {
            optionsJson["timeoutSeconds"] = timeoutSeconds;
        }

        return new JsonObject
        {
            ["templateHash"] = templateHash,
            ["inputs"] = inputs?.DeepClone() ?? new JsonObject(),
            ["model"] = model?.DeepClone() ?? new JsonObject(),
            ["options"] = optionsJson,
        };
    }

    /// <summary>
    /// <c>InputBundleHash = sha256(canonical {templateHash, inputs, model, options without force})</c>: the
    /// <see cref="Digest.Of(JsonNode?)"/> (SHA-256 over RFC 8785 canonical JSON, written <c>"sha256:" + 64 hex</c>) of
    /// <see cref="InputBundle"/>. Two starts with equal hashes are the same run (unless <c>force</c>); <c>force</c> never
    /// changes the hash. Numbers are compared as IEEE-754 doubles, as RFC 8785 reads them (<c>5</c> = <c>5.0</c>).
    /// </summary>
    public static string InputBundleHash(string templateHash, JsonObject? inputs, JsonObject? model, RunOptions? options) =>
        Digest.Of(InputBundle(templateHash, inputs, model, options));
}
