using RunMesh.Testing.Infrastructure;

namespace RunMesh.Architecture.Tests;

/// <summary>
/// docs/architecture.md's generated block is what the services register; <c>RUNMESH_UPDATE_DOCS=1</c> rewrites it. The
/// hand-kept table of published messages is held to the broker permissions, and the bus has no dead ends.
/// </summary>
public sealed class ArchitectureDiagramTests
{
    private static readonly Lazy<IReadOnlyList<MeshService>> s_services = new(MeshServices.Read);

    [Fact]
    public void The_committed_architecture_diagram_is_the_one_the_services_registrations_render()
    {
        var block = ArchitectureDiagram.Render(s_services.Value, ArchitectureDiagram.ReadGatewayRoutes());
        var path = Path.Combine(RepositoryPaths.Root, ArchitectureDiagram.RelativePath);
        var committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : ArchitectureDiagram.Begin + ArchitectureDiagram.End;
        var expected = ArchitectureDiagram.Replace(committed, block);
        if (Environment.GetEnvironmentVariable("RUNMESH_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
            committed = expected;
        }

        committed.ShouldBe(expected,
            $"{ArchitectureDiagram.RelativePath} differs from what the services register. Regenerate it: {ArchitectureDiagram.RegenerateCommand}");
    }

    [Fact]
    public void Each_service_may_publish_exactly_the_contracts_it_is_listed_with_and_read_exactly_the_ones_it_consumes()
    {
        var users = BrokerPermissions.Read();
        foreach (var service in s_services.Value.Where(s => s.Name != "gateway"))
        {
            var user = users[BrokerPermissions.UserOf(service.Name)];
            user.WritableContracts.ShouldBe(PublishedMessages.ByService[service.Name].Order(StringComparer.Ordinal).ToList(),
                $"{service.Name}: PublishedMessages and the write permission of {user.Name} in {BrokerPermissions.RelativePath} differ");

            var consumedContracts = service.Queues.SelectMany(q => q.Messages)
                .Where(m => m.Namespace == "RunMesh.Contracts").Select(m => m.Name).Distinct().Order(StringComparer.Ordinal);
            user.ReadableContracts.ShouldBe(consumedContracts.ToList(),
                $"{service.Name}: the contracts its consumers are bound to and the read permission of {user.Name} differ");
            foreach (var queue in service.Queues)
            {
                user.Read.IsMatch(queue.Name.Replace("{machine}-{pid}", "host-1", StringComparison.Ordinal))
                    .ShouldBeTrue($"{service.Name} consumes from queue {queue.Name}, which {user.Name} may not read");
            }
        }

        users.ContainsKey(BrokerPermissions.UserOf("gateway")).ShouldBeFalse("the gateway has no bus connection");
        var outside = users[BrokerPermissions.OutsideSystemUser];
        ArchitectureDiagram.Contracts(outside.WritableContracts).Select(t => t.Name)
            .ShouldBe(PublishedMessages.ByService[PublishedMessages.OutsideSystems].Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void Every_consumed_contract_has_a_publisher_and_every_published_one_a_reader()
    {
        var publishedContracts = PublishedMessages.ByService.Values.SelectMany(m => m).ToHashSet();
        var consumedContracts = s_services.Value.SelectMany(s => s.Queues).SelectMany(q => q.Messages)
            .Where(m => m.Namespace == "RunMesh.Contracts").Select(m => m.Name).ToHashSet();
        var outsideReads = BrokerPermissions.Read()[BrokerPermissions.OutsideSystemUser].ReadableContracts;

        consumedContracts.ShouldAllBe(m => publishedContracts.Contains(m), "a service consumes a contract nobody publishes");
        publishedContracts.ShouldAllBe(m => consumedContracts.Contains(m) || outsideReads.Contains(m), "a contract is published that nobody reads");
    }

    [Fact]
    public void The_run_saga_and_the_start_run_consumer_are_where_the_public_bus_contract_says()
    {
        var orchestrator = s_services.Value.Single(s => s.Name == "orchestrator");

        orchestrator.Queues.Single(q => q.Name == "start-run").Messages.Select(m => m.Name).ShouldBe(["StartRun"]);
        orchestrator.Queues.Single(q => q.Name == "runs").Messages.Select(m => m.Name).ShouldContain("PhaseSucceeded");
        orchestrator.Database.ShouldBe("runmesh_orchestrator");
        s_services.Value.Single(s => s.Name == "phase-worker").Database.ShouldBeNull();
    }
}
