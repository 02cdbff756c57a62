using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using RunMesh.Schemas;

namespace RunMesh.Shared.Tests.Schemas;

/// <summary>Only references inside the schema (<c>#…</c>) are ever resolved, however the keyword is spelled.</summary>
public sealed class SchemaReferenceTests
{
    // {0} is where the reference goes; every position NJsonSchema reads a schema from.
    public static TheoryData<string, string> Positions => new()
    {
        { "top level", "{0}" },
        { "under properties", """{"type":"object","properties":{"a":{0}}}""" },
        { "under definitions", """{"definitions":{"d":{0}}}""" },
        { "under $defs", """{"$defs":{"d":{0}}}""" },
        { "under items", """{"type":"array","items":{0}}""" },
        { "in an items array", """{"type":"array","items":[{"type":"string"},{0}]}""" },
        { "inside allOf", """{"allOf":[{"type":"object"},{0}]}""" },
        { "inside anyOf", """{"anyOf":[{0}]}""" },
        { "inside oneOf", """{"oneOf":[{0}]}""" },
        { "under not", """{"not":{0}}""" },
        { "under additionalProperties", """{"type":"object","additionalProperties":{0}}""" },
        { "under patternProperties", """{"type":"object","patternProperties":{"^x":{0}}}""" },
        { "under a differently cased Properties", """{"type":"object","Properties":{"a":{0}}}""" },
    };

    public static TheoryData<string, string> RemoteReferences
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var keyword in new[] { "$ref", "$REF", "$Ref", "$rEf", "$reF" })
            {
                data.Add(keyword, $$"""{"{{keyword}}":"http://127.0.0.1:9/evil.json"}""");
            }

            foreach (var keyword in new[] { "$id", "$ID", "$Id", "id", "ID" })
            {
                data.Add(keyword, $$"""{"{{keyword}}":"http://127.0.0.1:9/root.json","type":"object"}""");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(RemoteReferences))]
    public async Task A_remote_reference_is_refused_however_its_keyword_is_cased(string keyword, string reference)
    {
        foreach (var (position, template) in Positions.Select(row => ((string)row[0], (string)row[1])))
        {
            var schema = template.Replace("{0}", reference, StringComparison.Ordinal);

            var result = await JsonSchemas.LoadAsync(JsonNode.Parse(schema));

            result.IsValid.ShouldBeFalse($"{keyword} {position}: {schema}");
            result.Problems.ShouldContain(p => p.Contains(keyword, StringComparison.Ordinal), $"{keyword} {position}: {string.Join(" | ", result.Problems)}");
        }
    }

    [Theory]
    [InlineData("$REF")]
    [InlineData("$Ref")]
    public async Task A_local_reference_is_accepted_however_its_keyword_is_cased(string keyword)
    {
        var result = await JsonSchemas.LoadAsync(JsonNode.Parse(
            """{"type":"object","properties":{"a":{""" + $"\"{keyword}\"" + """:"#/definitions/s"}},"definitions":{"s":{"type":"string"}}}"""));

        result.Problems.ShouldBeEmpty();
        result.Schema!.Validate(JsonNode.Parse("""{"a":1}""")).ShouldContain(e => e.Contains("$.a: must be a string, got a number", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/evil.json")]
    [InlineData("https://127.0.0.1:9/evil.json#/definitions/x")]
    [InlineData("other.json#/x")]
    [InlineData("file:///etc/passwd")]
    public async Task The_parser_itself_resolves_no_reference_outside_the_schema(string target)
    {
        // Past the keyword check (ParseAsync is what LoadAsync calls once the check has passed): the resolver refuses.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = listener;
        var reference = target.Replace("127.0.0.1:9", listener.LocalEndpoint.ToString(), StringComparison.Ordinal);

        var parse = () => JsonSchemas.ParseAsync("""{"type":"object","properties":{"a":{"$ref":""" + $"\"{reference}\"" + "}}}", CancellationToken.None);

        var error = await Should.ThrowAsync<Exception>(parse);
        (error is InvalidOperationException or NotSupportedException).ShouldBeTrue(error.ToString());
        listener.Pending().ShouldBeFalse("nothing connected to the listener the reference names");
    }

    [Fact]
    public async Task The_parser_resolves_local_references()
    {
        var schema = await JsonSchemas.ParseAsync("""{"properties":{"a":{"$ref":"#/definitions/s"}},"definitions":{"s":{"type":"string"}}}""", CancellationToken.None);

        schema.Validate("""{"a":1}""").ShouldNotBeEmpty();
    }
}
