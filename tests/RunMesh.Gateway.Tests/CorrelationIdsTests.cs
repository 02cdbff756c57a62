using RunMesh.Hosting.Correlation;

namespace RunMesh.Gateway.Tests;

/// <summary>Which correlation ids a caller may choose: the ones that cannot forge or break a log line.</summary>
public sealed class CorrelationIdsTests
{
    public static TheoryData<string> Acceptable() =>
    [
        "0f8fad5bd9cb469fa16570867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950e",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "req_42.retry:1",
        "YWJj+/ZA==",
        new string('a', CorrelationIds.MaxLength),
    ];

    public static TheoryData<string> Unacceptable() =>
    [
        "",
        " ",
        "two words",
        "line\nbreak",
        "carriage\rreturn",
        "tab\there",
        "quote\"d",
        "{braces}",
        "semi;colon",
        "<tag>",
        "\u00e9t\u00e9",
        "nul\0byte",
        "=>CorrelationId:forged",
        new string('a', CorrelationIds.MaxLength + 1),
    ];

    [Theory]
    [MemberData(nameof(Acceptable))]
    public void A_short_id_of_letters_digits_and_id_punctuation_is_kept(string id) =>
        CorrelationIds.Accept(id).ShouldBe(id);

    [Theory]
    [MemberData(nameof(Unacceptable))]
    public void An_empty_long_or_log_forging_id_is_refused(string id) =>
        CorrelationIds.Accept(id).ShouldBeNull();

    [Fact]
    public void A_missing_id_is_not_accepted() => CorrelationIds.Accept(null).ShouldBeNull();
}
