using RunMesh.Hosting.Documents;

namespace RunMesh.Shared.Tests.Hosting;

public sealed class SpellingTests
{
    private static readonly string[] s_queryParameters = ["state", "template", "label", "parent", "limit", "cursor"];

    [Theory]
    [InlineData("status", "state")]
    [InlineData("limt", "limit")]
    [InlineData("cusror", "cursor")]
    [InlineData("Label", "label")]
    [InlineData("templates", "template")]
    public void A_slip_of_the_fingers_is_matched_to_the_name_it_meant(string typed, string meant) =>
        Spelling.Closest(typed, s_queryParameters).ShouldBe(meant);

    [Theory]
    [InlineData("foo")]
    [InlineData("x")]
    [InlineData("order")]
    [InlineData("createdAfter")]
    public void A_name_that_is_not_close_to_any_gets_no_suggestion(string typed)
    {
        Spelling.Closest(typed, s_queryParameters).ShouldBeNull();
        Spelling.DidYouMean(typed, s_queryParameters).ShouldBeEmpty();
    }

    [Fact]
    public void The_suggestion_reads_as_a_question() =>
        Spelling.DidYouMean("topc", ["topic", "tone"]).ShouldBe(" (did you mean 'topic'?)");
}
