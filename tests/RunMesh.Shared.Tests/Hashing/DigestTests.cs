using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using RunMesh.Hashing;

namespace RunMesh.Shared.Tests.Hashing;

public class DigestTests
{
    // Shaped like an input bundle: {templateHash, inputs, model, options}.
    private const string Bundle = """
        {
          "templateHash": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
          "inputs": { "repo": "runmesh", "paths": ["src/a.cs", "src/b.cs"], "strict": true, "threshold": 0.75 },
          "model": { "name": "gpt-x", "temperature": 0.2, "maxTokens": 4096 },
          "options": { "maxDepth": 3, "labels": {} }
        }
        """;

    // Changes to the bundle above, by name, so that each shows up as its own test case.
    private static readonly Dictionary<string, Action<JsonObject>> s_changes = new()
    {
        ["a value"] = bundle => bundle["inputs"]!["repo"] = "runmesh2",
        ["a number"] = bundle => bundle["model"]!["temperature"] = 0.21,
        ["a boolean"] = bundle => bundle["inputs"]!["strict"] = false,
        ["a key"] = bundle => Rename(bundle["model"]!.AsObject(), "maxTokens", "maxtokens"),
        ["an array element"] = bundle => bundle["inputs"]!["paths"]![1] = "src/c.cs",
        ["an added array element"] = bundle => bundle["inputs"]!["paths"]!.AsArray().Add("src/c.cs"),
        ["an added property"] = bundle => bundle["options"]!["force"] = false,
        ["a removed property"] = bundle => bundle["options"]!.AsObject().Remove("labels"),
        ["an empty object to null"] = bundle => bundle["options"]!["labels"] = null,
        ["a number to a string"] = bundle => bundle["options"]!["maxDepth"] = "3",
        ["a string to a number"] = bundle => bundle["templateHash"] = 1,
        ["a boolean to a string"] = bundle => bundle["inputs"]!["strict"] = "true",
        ["a value to null"] = bundle => bundle["inputs"]!["threshold"] = null,
        ["an array to an object"] = bundle => bundle["inputs"]!["paths"] = new JsonObject { ["0"] = "src/a.cs", ["1"] = "src/b.cs" },
        ["the letter case of a value"] = bundle => bundle["model"]!["name"] = "GPT-x",
        ["trailing whitespace inside a string"] = bundle => bundle["inputs"]!["repo"] = "runmesh ",
    };

    [Fact]
    public void Digest_of_json_is_sha256_of_its_canonical_bytes()
    {
        var expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData("{\"a\":1}"u8));

        Digest.Of(JsonNode.Parse("{ \"a\" : 1.0 }")).ShouldBe(expected);
        Digest.OfJson("{\"a\":1}").ShouldBe(expected);
    }

    [Fact]
    public void Digest_of_bytes_matches_the_published_sha256_of_the_empty_string()
    {
        Digest.Sha256([]).ShouldBe("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    [Fact]
    public void Digest_of_bytes_hashes_them_as_given_without_canonicalizing()
    {
        Digest.Sha256("{ \"a\": 1 }"u8).ShouldNotBe(Digest.OfJson("{ \"a\": 1 }"u8));
        Digest.Sha256("{\"a\":1}"u8).ShouldBe(Digest.OfJson("{ \"a\": 1 }"u8));
    }

    [Fact]
    public void Every_digest_is_sha256_prefix_and_64_lower_case_hex_digits()
    {
        var digest = Digest.OfJson(Bundle);

        digest.ShouldMatch("^sha256:[0-9a-f]{64}$");
        Digest.IsValid(digest).ShouldBeTrue();
    }

    [Fact]
    public void The_same_input_always_gives_the_same_digest()
    {
        using var document = JsonDocument.Parse(Bundle);
        var expected = Digest.OfJson(Bundle);

        Digest.OfJson(Bundle).ShouldBe(expected);
        Digest.OfJson(Encoding.UTF8.GetBytes(Bundle)).ShouldBe(expected);
        Digest.Of(JsonNode.Parse(Bundle)).ShouldBe(expected);
        Digest.Of(JsonNode.Parse(Bundle)!.DeepClone()).ShouldBe(expected);
        Digest.Of(document.RootElement).ShouldBe(expected);
    }

    public static TheoryData<string, string> EquivalentSpellings => new()
    {
        // Key order, at the root and nested.
        { """{"a":1,"b":2}""", """{"b":2,"a":1}""" },
        { """{"x":{"p":1,"q":[{"m":1,"n":2}]}}""", """{"x":{"q":[{"n":2,"m":1}],"p":1}}""" },
        // Number spelling.
        { """{"n":1}""", """{"n":1.0}""" },
        { """{"n":100}""", """{"n":1e2}""" },
        { """{"n":0}""", """{"n":-0}""" },
        { """{"n":0.5}""", """{"n":5E-1}""" },
        // Escapes versus literal characters.
        { """{"s":"é€😀"}""", """{"s":"\u00e9\u20AC\ud83d\ude00"}""" },
        { """{"s":"a/b"}""", """{"s":"a\/b"}""" },
        { """{"caf\u00e9":1}""", """{"café":1}""" },
        // Whitespace.
        { """{"a":[1,2]}""", " {\n\t\"a\" : [ 1 ,\r\n 2 ] }\n" },
    };

    [Theory]
    [MemberData(nameof(EquivalentSpellings))]
    public void Equivalent_json_spellings_give_the_same_digest(string json, string equivalent)
    {
        Digest.OfJson(equivalent).ShouldBe(Digest.OfJson(json));
    }

    [Fact]
    public void Key_order_does_not_change_the_digest()
    {
        var original = JsonNode.Parse(Bundle)!.AsObject();
        var reversed = new JsonObject(original.Reverse().Select(member => KeyValuePair.Create(member.Key, member.Value?.DeepClone())));

        reversed.Select(member => member.Key).ShouldBe(["options", "model", "inputs", "templateHash"]);
        Digest.Of(reversed).ShouldBe(Digest.Of(original));
    }

    [Fact]
    public void Array_order_changes_the_digest()
    {
        Digest.OfJson("[1,2,3]").ShouldNotBe(Digest.OfJson("[3,2,1]"));
        Digest.OfJson("""{"paths":[["a"],["b"]]}""").ShouldNotBe(Digest.OfJson("""{"paths":[["b"],["a"]]}"""));
    }

    public static TheoryData<string> Changes => new(s_changes.Keys);

    [Theory]
    [MemberData(nameof(Changes))]
    public void Any_change_to_any_field_changes_the_digest(string change)
    {
        var original = JsonNode.Parse(Bundle)!.AsObject();
        var changed = original.DeepClone().AsObject();

        s_changes[change](changed);

        Digest.Of(changed).ShouldNotBe(Digest.Of(original), $"changing {change} must change the digest");
    }

    [Fact]
    public void Duplicate_keys_raise_a_canonical_json_exception()
    {
        using var document = JsonDocument.Parse("""{"a":1,"a":2}""");

        Should.Throw<CanonicalJsonException>(() => Digest.OfJson("""{"a":1,"a":2}"""));
        Should.Throw<CanonicalJsonException>(() => Digest.Of(document.RootElement));
    }

    [Theory]
    [InlineData("{\"a\":")]
    [InlineData("[1,]")]
    [InlineData("not json")]
    [InlineData("")]
    public void Invalid_json_raises_a_canonical_json_exception(string json)
    {
        Should.Throw<CanonicalJsonException>(() => Digest.OfJson(json));
        Should.Throw<CanonicalJsonException>(() => Digest.OfJson(Encoding.UTF8.GetBytes(json)));
    }

    [Theory]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true)]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000", true)]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("sha256:", false)]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", false)]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", false)]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false)]
    [InlineData("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData(" sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85 ", false)]
    public void IsValid_accepts_only_sha256_prefix_and_64_lower_case_hex_digits(string? value, bool valid)
    {
        Digest.IsValid(value).ShouldBe(valid);
    }

    private static void Rename(JsonObject obj, string from, string to)
    {
        var value = obj[from];
        obj.Remove(from);
        obj[to] = value;
    }
}
