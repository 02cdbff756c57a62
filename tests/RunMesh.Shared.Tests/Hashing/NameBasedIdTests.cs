using RunMesh.Hashing;

namespace RunMesh.Shared.Tests.Hashing;

public class NameBasedIdTests
{
    [Fact]
    public void The_rfc_example_of_a_version_5_uuid_is_reproduced() =>
        // RFC 9562, Appendix A.4: the DNS namespace and "www.example.com".
        NameBasedId.Of(new Guid("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "www.example.com")
            .ShouldBe(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"));

    [Theory]
    // Computed independently with Python's uuid.uuid5 in the RunMesh namespace.
    [InlineData("run:phase", "654d5223-e5e8-5b10-889b-b128a0454a0b")]
    [InlineData("é:0", "9b45fef1-3a43-5017-9398-31a99ce4527d")]
    public void Names_in_the_runmesh_namespace_give_the_ids_other_implementations_compute(string name, string expected) =>
        NameBasedId.Of(name).ShouldBe(new Guid(expected));

    [Fact]
    public void Different_names_give_different_ids_and_the_same_name_the_same_id()
    {
        NameBasedId.Of("a:1").ShouldBe(NameBasedId.Of("a:1"));
        NameBasedId.Of("a:1").ShouldNotBe(NameBasedId.Of("a:2"));
        NameBasedId.Of("a:1").ToString()[14].ShouldBe('5');
    }
}
