using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RunMesh.Hosting.Documents;
using RunMesh.Schemas;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// Checks that a schema is valid JSON Schema draft 7 by validating it against the draft-07 meta-schema
/// (json-schema.org/draft-07/schema, without its absolute <c>$id</c> and <c>$schema</c>, which
/// <see cref="JsonSchemas"/> would refuse, and without its definition of the <c>$ref</c> keyword, which JsonSchemas' reference
/// check mistakes for a reference; JsonSchemas checks every <c>$ref</c> itself; and with <c>{}</c> for its <c>true</c>
/// sub-schemas, which NJsonSchema cannot read). NJsonSchema alone loads many malformed schemas without complaint
/// (<c>type: strng</c>, <c>required: name</c>), and they would then fail every artifact at run time.
/// </summary>
internal static class DraftSevenMetaSchema
{
    private const string Json = """
        {
          "title": "Core schema meta-schema",
          "definitions": {
            "schemaArray": {
              "type": "array",
              "minItems": 1,
              "items": {
                "$ref": "#"
              }
            },
            "nonNegativeInteger": {
              "type": "integer",
              "minimum": 0
            },
            "nonNegativeIntegerDefault0": {
              "allOf": [
                {
                  "$ref": "#/definitions/nonNegativeInteger"
                },
                {
                  "default": 0
                }
              ]
            },
            "simpleTypes": {
              "enum": [
                "array",
                "boolean",
                "integer",
                "null",
                "number",
                "object",
                "string"
              ]
            },
            "stringArray": {
              "type": "array",
              "items": {
                "type": "string"
              },
              "uniqueItems": true,
              "default": []
            }
          },
          "type": [
            "object",
            "boolean"
          ],
          "properties": {
            "$id": {
              "type": "string",
              "format": "uri-reference"
            },
            "$schema": {
              "type": "string",
              "format": "uri"
            },
            "$comment": {
              "type": "string"
            },
            "title": {
              "type": "string"
            },
            "description": {
              "type": "string"
            },
            "default": {},
            "readOnly": {
              "type": "boolean",
              "default": false
            },
            "examples": {
              "type": "array",
              "items": {}
            },
            "multipleOf": {
              "type": "number",
              "exclusiveMinimum": 0
            },
            "maximum": {
              "type": "number"
            },
            "exclusiveMaximum": {
              "type": "number"
            },
            "minimum": {
              "type": "number"
            },
            "exclusiveMinimum": {
              "type": "number"
            },
            "maxLength": {
              "$ref": "#/definitions/nonNegativeInteger"
            },
            "minLength": {
              "$ref": "#/definitions/nonNegativeIntegerDefault0"
            },
            "pattern": {
              "type": "string",
              "format": "regex"
            },
            "additionalItems": {
              "$ref": "#"
            },
            "items": {
              "anyOf": [
                {
                  "$ref": "#"
                },
                {
                  "$ref": "#/definitions/schemaArray"
                }
              ],
              "default": true
            },
            "maxItems": {
              "$ref": "#/definitions/nonNegativeInteger"
            },
            "minItems": {
              "$ref": "#/definitions/nonNegativeIntegerDefault0"
            },
            "uniqueItems": {
              "type": "boolean",
              "default": false
            },
            "contains": {
              "$ref": "#"
            },
            "maxProperties": {
              "$ref": "#/definitions/nonNegativeInteger"
            },
            "minProperties": {
              "$ref": "#/definitions/nonNegativeIntegerDefault0"
            },
            "required": {
              "$ref": "#/definitions/stringArray"
            },
            "additionalProperties": {
              "$ref": "#"
            },
            "definitions": {
              "type": "object",
              "additionalProperties": {
                "$ref": "#"
              },
              "default": {}
            },
            "properties": {
              "type": "object",
              "additionalProperties": {
                "$ref": "#"
              },
              "default": {}
            },
            "patternProperties": {
              "type": "object",
              "additionalProperties": {
                "$ref": "#"
              },
              "propertyNames": {
                "format": "regex"
              },
              "default": {}
            },
            "dependencies": {
              "type": "object",
              "additionalProperties": {
                "anyOf": [
                  {
                    "$ref": "#"
                  },
                  {
                    "$ref": "#/definitions/stringArray"
                  }
                ]
              }
            },
            "propertyNames": {
              "$ref": "#"
            },
            "const": {},
            "enum": {
              "type": "array",
              "items": {},
              "minItems": 1,
              "uniqueItems": true
            },
            "type": {
              "anyOf": [
                {
                  "$ref": "#/definitions/simpleTypes"
                },
                {
                  "type": "array",
                  "items": {
                    "$ref": "#/definitions/simpleTypes"
                  },
                  "minItems": 1,
                  "uniqueItems": true
                }
              ]
            },
            "format": {
              "type": "string"
            },
            "contentMediaType": {
              "type": "string"
            },
            "contentEncoding": {
              "type": "string"
            },
            "if": {
              "$ref": "#"
            },
            "then": {
              "$ref": "#"
            },
            "else": {
              "$ref": "#"
            },
            "allOf": {
              "$ref": "#/definitions/schemaArray"
            },
            "anyOf": {
              "$ref": "#/definitions/schemaArray"
            },
            "oneOf": {
              "$ref": "#/definitions/schemaArray"
            },
            "not": {
              "$ref": "#"
            }
          },
          "default": true
        }
        """;

    private static readonly Lazy<Task<CompiledSchema>> s_metaSchema = new(LoadAsync);

    /// <summary>
    /// Every way <paramref name="schema"/> breaks the meta-schema, one problem per location (its path under
    /// <paramref name="path"/>, its message saying what the meta-schema found wrong there); empty when it is valid.
    /// </summary>
    public static async Task<IReadOnlyList<ValidationProblem>> CheckAsync(JsonNode schema, string path)
    {
        var metaSchema = await s_metaSchema.Value;
        return metaSchema.FindErrors(schema)
            .GroupBy(error => error.Path, StringComparer.Ordinal)
            .Select(group => new ValidationProblem(
                path + group.Key[1..],
                $"is not valid JSON Schema draft 7: {string.Join("; ", group.Select(e => e.Message).Distinct(StringComparer.Ordinal))}"))
            .ToList();
    }

    /// <summary>
    /// Every <c>pattern</c> and <c>patternProperties</c> name that is not a valid regular expression (the meta-schema
    /// only says it should be, and NJsonSchema would fail at validation time).
    /// </summary>
    public static IReadOnlyList<ValidationProblem> CheckPatterns(JsonNode schema, string path)
    {
        var problems = new List<ValidationProblem>();
        FindPatterns(schema, path, 0, problems);
        return problems;
    }

    private static void FindPatterns(JsonNode? node, string path, int depth, List<ValidationProblem> problems)
    {
        if (depth > JsonSchemas.MaxDepth)
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var childPath = $"{path}.{name}";
                    if (name == "pattern" && value is JsonValue text && text.TryGetValue<string>(out var pattern))
                    {
                        CheckPattern(pattern, childPath, problems);
                    }
                    else if (name == "patternProperties" && value is JsonObject patterns)
                    {
                        foreach (var (propertyPattern, _) in patterns)
                        {
                            CheckPattern(propertyPattern, $"{childPath}.{propertyPattern}", problems);
                        }
                    }

                    FindPatterns(value, childPath, depth + 1, problems);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    FindPatterns(array[i], $"{path}[{i}]", depth + 1, problems);
                }

                break;
        }
    }

    private static void CheckPattern(string pattern, string path, List<ValidationProblem> problems)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            problems.Add(new ValidationProblem(path, $"is not a valid regular expression: {ex.Message}"));
        }
    }

    /// <summary><c>#/properties/a</c> → <c>.properties.a</c>; <c>#/required[0]</c> → <c>.required[0]</c>; <c>#</c> → empty.</summary>
    internal static string ToDotted(string location)
    {
        var relative = location.TrimStart('#').Replace('/', '.');
        return relative.Length > 0 && relative[0] != '.' && relative[0] != '[' ? "." + relative : relative;
    }

    private static async Task<CompiledSchema> LoadAsync()
    {
        var loaded = await JsonSchemas.LoadAsync(JsonNode.Parse(Json));
        return loaded.Schema ?? throw new InvalidOperationException("The draft-07 meta-schema does not load: " + string.Join("; ", loaded.Problems));
    }
}
