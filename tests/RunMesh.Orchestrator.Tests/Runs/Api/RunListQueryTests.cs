using RunMesh.Orchestrator.Runs.Api;

namespace RunMesh.Orchestrator.Tests.Runs.Api;

/// <summary>The creation window of <c>GET /api/runs</c>: RFC 3339 instants, a 400 that says what to send otherwise.</summary>
public sealed class RunListQueryTests
{
    private static RunListQuery? Parse(string? createdAfter, string? createdBefore, out string? error) =>
        RunListQuery.Parse(null, null, null, null, createdAfter, createdBefore, null, null, out error);

    [Theory]
    [InlineData("2026-11-23T07:20:00Z", "2026-11-23T07:20:00.0000000+00:00")]
    [InlineData("2026-11-23t07:20:00z", "2026-11-23T07:20:00.0000000+00:00")]
    [InlineData("2026-11-23T08:20:00+01:00", "2026-11-23T07:20:00.0000000+00:00")]
    [InlineData("2026-11-23T07:20:00.123456Z", "2026-11-23T07:20:00.1234560+00:00")]
    [InlineData("2026-11-23T07:20:00.123456789-02:30", "2026-11-23T09:50:00.1234567+00:00")]
    public void An_rfc_3339_instant_is_read_with_its_offset(string text, string utc)
    {
        var instant = Rfc3339.Parse(text);

        instant.ShouldNotBeNull().ToUniversalTime().ToString("O", System.Globalization.CultureInfo.InvariantCulture).ShouldBe(utc);
    }

    [Theory]
    [InlineData("2026-11-23")]
    [InlineData("2026-11-23T07:20:00")]
    [InlineData("2026-11-23 07:20:00Z")]
    [InlineData("2026-11-23T08:20:00 01:00")] // an unescaped '+' in a URL arrives as a space
    [InlineData("2026-13-23T07:20:00Z")]
    [InlineData("2026-11-23T07:20:00.Z")]
    [InlineData("yesterday")]
    [InlineData("1732346400")]
    public void Anything_else_is_refused(string text)
    {
        Rfc3339.Parse(text).ShouldBeNull();
    }

    [Fact]
    public void A_window_is_read_into_the_query()
    {
        var query = Parse("2026-11-23T07:00:00Z", "2026-11-23T08:00:00Z", out var error);

        error.ShouldBeNull();
        query.ShouldNotBeNull();
        query.CreatedAfter.ShouldBe(new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero));
        query.CreatedBefore.ShouldBe(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("2026-11-23T08:20:00 01:00", null, "'createdAfter'")]
    [InlineData(null, "last week", "'createdBefore'")]
    [InlineData("2026-11-23T08:00:00Z", "2026-11-23T08:00:00Z", "must be earlier than 'createdBefore'")]
    [InlineData("2026-11-23T09:00:00+01:00", "2026-11-23T07:59:59Z", "must be earlier than 'createdBefore'")]
    public void A_bad_window_is_an_error_naming_the_parameter(string? createdAfter, string? createdBefore, string named)
    {
        Parse(createdAfter, createdBefore, out var error).ShouldBeNull();

        error.ShouldNotBeNull().ShouldContain(named);
    }

    [Fact]
    public void The_error_for_an_instant_says_how_to_write_one_in_a_url()
    {
        Parse("2026-11-23T08:20:00 01:00", null, out var error);

        error.ShouldNotBeNull().ShouldContain("%2B");
        error.ShouldContain("2026-11-23T07:20:00Z");
    }
}
