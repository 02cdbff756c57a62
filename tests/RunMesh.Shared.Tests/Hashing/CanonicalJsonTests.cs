using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using RunMesh.Hashing;

namespace RunMesh.Shared.Tests.Hashing;

public class CanonicalJsonTests
{
    // RFC 8785 §3.2.2, input and output as printed in the RFC.
    private const string RfcSampleInput = """
        {
          "numbers": [333333333.33333329, 1E30, 4.50,
                      2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """;

    private const string RfcSampleOutput = """{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}""";

    [Fact]
    public void Rfc_8785_sample_object_canonicalizes_as_the_rfc_shows()
    {
        CanonicalJson.Canonicalize(RfcSampleInput).ShouldBe(RfcSampleOutput);
    }

    [Fact]
    public void Rfc_8785_sample_object_gives_the_same_bytes_from_text_node_and_element()
    {
        var expected = Encoding.UTF8.GetBytes(RfcSampleOutput);
        using var document = JsonDocument.Parse(RfcSampleInput);

        CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(RfcSampleInput)).ShouldBe(expected);
        CanonicalJson.Serialize(JsonNode.Parse(RfcSampleInput)).ShouldBe(expected);
        CanonicalJson.Serialize(document.RootElement).ShouldBe(expected);
    }

    [Fact]
    public void Rfc_8785_sorting_example_orders_keys_by_utf16_code_units()
    {
        // RFC 8785 §3.2.3.
        const string input = """
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """;

        var canonical = CanonicalJson.Canonicalize(input);

        JsonNode.Parse(canonical)!.AsObject().Select(member => member.Value!.GetValue<string>()).ShouldBe(
        [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small Letter O With Diaeresis",
            "Euro Sign",
            "Emoji: Grinning Face",
            "Hebrew Letter Dalet With Dagesh",
        ]);
        canonical.ShouldBe(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\","
            + "\"\u20ac\":\"Euro Sign\",\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}");
    }

    // RFC 8785 Appendix B: IEEE-754 bit patterns and their canonical form.
    [Theory]
    [InlineData(0x0000000000000000UL, "0")]
    [InlineData(0x8000000000000000UL, "0")]
    [InlineData(0x0000000000000001UL, "5e-324")]
    [InlineData(0x8000000000000001UL, "-5e-324")]
    [InlineData(0x7fefffffffffffffUL, "1.7976931348623157e+308")]
    [InlineData(0xffefffffffffffffUL, "-1.7976931348623157e+308")]
    [InlineData(0x4340000000000000UL, "9007199254740992")]
    [InlineData(0xc340000000000000UL, "-9007199254740992")]
    [InlineData(0x4430000000000000UL, "295147905179352830000")]
    [InlineData(0x44b52d02c7e14af5UL, "9.999999999999997e+22")]
    [InlineData(0x44b52d02c7e14af6UL, "1e+23")]
    [InlineData(0x44b52d02c7e14af7UL, "1.0000000000000001e+23")]
    [InlineData(0x444b1ae4d6e2ef4eUL, "999999999999999700000")]
    [InlineData(0x444b1ae4d6e2ef4fUL, "999999999999999900000")]
    [InlineData(0x444b1ae4d6e2ef50UL, "1e+21")]
    [InlineData(0x3eb0c6f7a0b5ed8cUL, "9.999999999999997e-7")]
    [InlineData(0x3eb0c6f7a0b5ed8dUL, "0.000001")]
    [InlineData(0x41b3de4355555553UL, "333333333.3333332")]
    [InlineData(0x41b3de4355555554UL, "333333333.33333325")]
    [InlineData(0x41b3de4355555555UL, "333333333.3333333")]
    [InlineData(0x41b3de4355555556UL, "333333333.3333334")]
    [InlineData(0x41b3de4355555557UL, "333333333.33333343")]
    [InlineData(0xbecbf647612f3696UL, "-0.0000033333333333333333")]
    [InlineData(0x43143ff3c1cb0959UL, "1424953923781206.2")]
    public void Appendix_B_numbers_are_written_as_ecmascript_writes_them(ulong bits, string expected)
    {
        var value = BitConverter.UInt64BitsToDouble(bits);

        CanonicalJson.SerializeToString(JsonValue.Create(value)).ShouldBe(expected);
        // The same double spelled the .NET way ("1E+23") or the canonical way reads back to the same text.
        CanonicalJson.Canonicalize(value.ToString("R", CultureInfo.InvariantCulture)).ShouldBe(expected);
        CanonicalJson.Canonicalize(expected).ShouldBe(expected);
    }

    // RFC 8785 Appendix B also lists NaN and Infinity: they have no JSON form.
    [Theory]
    [InlineData(0x7fffffffffffffffUL)]
    [InlineData(0x7ff8000000000000UL)]
    [InlineData(0x7ff0000000000000UL)]
    [InlineData(0xfff0000000000000UL)]
    public void NaN_and_infinity_are_rejected(ulong bits)
    {
        var value = BitConverter.UInt64BitsToDouble(bits);

        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Serialize(JsonValue.Create(value)));
        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Serialize(JsonValue.Create((float)value)));
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("[1, 2e309]")]
    public void Numbers_beyond_the_double_range_are_rejected(string json)
    {
        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Canonicalize(json))
            .Message.ShouldContain("outside the range of an IEEE-754 double");
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("1.000", "1")]
    [InlineData("1e0", "1")]
    [InlineData("10E-1", "1")]
    [InlineData("-0", "0")]
    [InlineData("-0.0e10", "0")]
    [InlineData("4.50", "4.5")]
    [InlineData("2e-3", "0.002")]
    [InlineData("1E30", "1e+30")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1e20", "100000000000000000000")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("0.0000001", "1e-7")]
    [InlineData("-1.5e-9", "-1.5e-9")]
    [InlineData("123456789012345678901234567890", "1.2345678901234568e+29")]
    [InlineData("9007199254740993", "9007199254740992")]
    [InlineData("0.1", "0.1")]
    public void Numbers_are_normalized_whatever_their_spelling(string json, string expected)
    {
        CanonicalJson.Canonicalize(json).ShouldBe(expected);
    }

    [Fact]
    public void Integers_beyond_2_to_the_53_are_read_as_doubles_from_any_source()
    {
        CanonicalJson.SerializeToString(JsonValue.Create(9007199254740993L)).ShouldBe("9007199254740992");
        CanonicalJson.SerializeToString(JsonValue.Create(1.10m)).ShouldBe("1.1");
        CanonicalJson.SerializeToString(JsonValue.Create(3)).ShouldBe("3");
    }

    [Theory]
    [InlineData("\"\\u0041\"", "\"A\"")]
    [InlineData("\"\\u00e9\"", "\"\u00e9\"")]
    [InlineData("\"\\u20AC\"", "\"\u20ac\"")]
    [InlineData("\"\\u2028\\u2029\"", "\"\u2028\u2029\"")]
    [InlineData("\"\\ud83d\\ude00\"", "\"\ud83d\ude00\"")]
    [InlineData("\"\\/\"", "\"/\"")]
    [InlineData("\"<>&'\"", "\"<>&'\"")]
    [InlineData("\"\\u007f\"", "\"\u007f\"")]
    [InlineData("\"\\u0022\\u005c\"", "\"\\\"\\\\\"")]
    [InlineData("\"\\u0008\\u000C\\u000a\\u000D\\u0009\"", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("\"\\u0000\\u000F\\u001f\"", "\"\\u0000\\u000f\\u001f\"")]
    public void Strings_escape_only_what_rfc_8785_requires(string json, string expected)
    {
        CanonicalJson.Canonicalize(json).ShouldBe(expected);
    }

    [Fact]
    public void Non_ascii_is_written_as_literal_utf8()
    {
        CanonicalJson.Canonicalize("\"\\u20ac\\u2028\""u8).ShouldBe("\"\u20ac\u2028\""u8.ToArray());
        CanonicalJson.Canonicalize("\"\\u20ac\""u8).ShouldBe(new byte[] { 0x22, 0xe2, 0x82, 0xac, 0x22 });
    }

    [Theory]
    [InlineData("""{"b":1,"a":2}""", """{"a":2,"b":1}""")]
    [InlineData("""{"a":{"z":null,"y":[{"d":1,"c":2}]}}""", """{"a":{"y":[{"c":2,"d":1}],"z":null}}""")]
    [InlineData("""{"aa":1,"a":2,"B":3,"":4}""", """{"":4,"B":3,"a":2,"aa":1}""")]
    public void Object_members_are_sorted_at_every_level(string json, string expected)
    {
        CanonicalJson.Canonicalize(json).ShouldBe(expected);
    }

    [Theory]
    [InlineData("[3,1,2]")]
    [InlineData("[[3,1],[2],[]]")]
    [InlineData("""[{"b":1},{"a":1}]""")]
    public void Arrays_keep_their_order(string json)
    {
        CanonicalJson.Canonicalize(json).ShouldBe(json);
    }

    [Fact]
    public void Insignificant_whitespace_is_removed()
    {
        const string spaced = " \r\n\t{ \"a\" :\n [ 1 , true , null , \"x y\" ] ,\t\"b\" : { } } \n";

        CanonicalJson.Canonicalize(spaced).ShouldBe("""{"a":[1,true,null,"x y"],"b":{}}""");
    }

    [Theory]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("false")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void Any_json_value_can_be_the_root(string json)
    {
        CanonicalJson.Canonicalize(json).ShouldBe(json);
    }

    [Fact]
    public void A_null_node_is_the_json_null_literal()
    {
        CanonicalJson.SerializeToString((JsonNode?)null).ShouldBe("null");
    }

    [Fact]
    public void Nodes_built_in_code_canonicalize_like_parsed_text()
    {
        var built = new JsonObject
        {
            ["z"] = new JsonArray(1, 2.5, null, "x"),
            ["a"] = new JsonObject { ["flag"] = true, ["when"] = JsonValue.Create(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc)) },
            ["n"] = -0.0,
        };

        CanonicalJson.SerializeToString(built)
            .ShouldBe(CanonicalJson.Canonicalize("""{"n":0,"a":{"when":"2024-01-02T03:04:05Z","flag":true},"z":[1,2.5,null,"x"]}"""));
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "$")]
    [InlineData("""{"a":1,"a":1}""", "$")]
    [InlineData("""{"a":1,"\u0061":2}""", "$")]
    [InlineData("""{"x":{"b":1,"c":0,"b":true}}""", "$.x")]
    [InlineData("""{"items":[{},{"k":1,"k":2}]}""", "$.items[1]")]
    public void Duplicate_property_names_are_rejected_with_their_path(string json, string path)
    {
        var error = Should.Throw<CanonicalJsonException>(() => CanonicalJson.Canonicalize(json));

        error.Message.ShouldContain("Duplicate property name");
        error.Message.ShouldEndWith($" at {path}.");
    }

    [Fact]
    public void Duplicate_property_names_in_an_element_are_rejected()
    {
        // JsonDocument accepts duplicates by default, so an element handed to us may hold them.
        using var document = JsonDocument.Parse("""{"a":1,"a":2}""");

        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Serialize(document.RootElement));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("[1,]")]
    [InlineData("""{"a":1,}""")]
    [InlineData("{'a':1}")]
    [InlineData("{a:1}")]
    [InlineData("""{"a":1} {"b":2}""")]
    [InlineData("[1] x")]
    [InlineData("// comment\n1")]
    [InlineData("01")]
    [InlineData("+1")]
    [InlineData(".5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("\"unterminated")]
    [InlineData("\"tab\tinside\"")]
    [InlineData("\"\\x41\"")]
    public void Invalid_json_is_rejected(string json)
    {
        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Canonicalize(json))
            .Message.ShouldStartWith("The input is not valid JSON");
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00x\"")]
    [InlineData("""{"\ud83d":1}""")]
    public void Escapes_of_lone_surrogates_are_rejected(string json)
    {
        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Canonicalize(json));
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Canonicalize(new byte[] { 0x22, 0xff, 0x22 }));
    }

    [Fact]
    public void Lone_surrogates_in_built_nodes_are_rejected_with_their_path()
    {
        var node = new JsonObject { ["notes"] = new JsonArray("ok", "\ud800") };

        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Serialize(node))
            .Message.ShouldEndWith(" at $.notes[1].");
    }

    [Fact]
    public void NaN_in_a_built_node_is_rejected_with_its_path()
    {
        var node = new JsonObject { ["budget"] = new JsonObject { ["costUsd"] = double.NaN } };

        Should.Throw<CanonicalJsonException>(() => CanonicalJson.Serialize(node))
            .Message.ShouldEndWith(" at $.budget.costUsd.");
    }
}
