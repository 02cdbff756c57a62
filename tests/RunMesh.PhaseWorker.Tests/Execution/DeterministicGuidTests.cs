using RunMesh.PhaseWorker.Execution;

namespace RunMesh.PhaseWorker.Tests.Execution;

public sealed class DeterministicGuidTests
{
    private static readonly Guid s_dnsNamespace = new("6ba7b810-9dad-11d1-80b4-00c04fd430c8");

    [Theory]
    // RFC 9562, appendix A.4 (UUIDv5 example), and Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").
    [InlineData("www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2")]
    [InlineData("python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d")]
    public void Matches_the_published_version_5_vectors(string name, string expected)
    {
        DeterministicGuid.Create(s_dnsNamespace, name).ShouldBe(new Guid(expected));
    }

    [Fact]
    public void Is_a_version_5_RFC_4122_uuid()
    {
        var id = DeterministicGuid.ForSucceeded(Guid.NewGuid()).ToString("D");

        id[14].ShouldBe('5');
        "89ab".ShouldContain(id[19]);
    }

    [Fact]
    public void Result_ids_are_stable_per_execution_and_differ_between_success_and_failure()
    {
        var execution = Guid.NewGuid();

        DeterministicGuid.ForSucceeded(execution).ShouldBe(DeterministicGuid.ForSucceeded(execution));
        DeterministicGuid.ForFailed(execution).ShouldBe(DeterministicGuid.ForFailed(execution));
        DeterministicGuid.ForSucceeded(execution).ShouldNotBe(DeterministicGuid.ForFailed(execution));
        DeterministicGuid.ForSucceeded(execution).ShouldNotBe(DeterministicGuid.ForSucceeded(Guid.NewGuid()));
    }

    [Fact]
    public void RunMesh_ids_are_pinned()
    {
        // Changing the namespace or the names would change every result's MessageId across a rolling deploy.
        var execution = new Guid("00000000-0000-0000-0000-000000000001");

        // Computed independently with Python's uuid.uuid5(UUID("d8d4085f-…"), name).
        DeterministicGuid.RunMeshNamespace.ShouldBe(new Guid("d8d4085f-8a17-4111-a09c-f166bf94d137"));
        DeterministicGuid.ForSucceeded(execution).ShouldBe(new Guid("be08da23-871a-57f8-bd08-991df5ccee75"));
        DeterministicGuid.ForFailed(execution).ShouldBe(new Guid("6597f73e-59b5-5875-8485-8ed07cf0446a"));
    }
}
