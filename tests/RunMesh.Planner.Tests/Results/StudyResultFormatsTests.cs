using RunMesh.Planner.Studies.Results;

namespace RunMesh.Planner.Tests.Results;

public sealed class StudyResultFormatsTests
{
    [Theory]
    [InlineData(null, "application/x-ndjson")]
    [InlineData("", "application/x-ndjson")]
    [InlineData("*/*", "application/x-ndjson")]
    [InlineData("application/x-ndjson", "application/x-ndjson")]
    [InlineData("text/csv", "text/csv")]
    [InlineData("TEXT/CSV; charset=utf-8", "text/csv")]
    [InlineData("application/vnd.apache.parquet", "application/vnd.apache.parquet")]
    [InlineData("text/*", "text/csv")]
    [InlineData("application/*", "application/x-ndjson")]
    [InlineData("text/csv;q=0.5, application/vnd.apache.parquet", "application/vnd.apache.parquet")]
    [InlineData("application/vnd.apache.parquet;q=0.2, text/csv;q=0.9", "text/csv")]
    [InlineData("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/x-ndjson")]
    [InlineData("application/x-ndjson;q=0, */*", "text/csv")]
    public void Accept_header_chooses_the_format(string? accept, string contentType)
    {
        StudyResultFormats.ForAccept(accept).ShouldNotBeNull().ContentType.ShouldBe(contentType);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/html")]
    [InlineData("text/csv;q=0")]
    [InlineData("image/*")]
    [InlineData("not a media type")]
    public void Accept_header_without_a_supported_format_gets_none(string accept)
    {
        StudyResultFormats.ForAccept(accept).ShouldBeNull();
    }
}
