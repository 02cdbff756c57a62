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
    [InlineData("run:phase", "2fda046a-4f42-5f6b-a38b-11896ac720d5")]
    [InlineData("é:0", "bcd179e5-e4bf-50ce-af58-8e63046af5a5")]
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
