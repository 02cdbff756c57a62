using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using RunMesh.Orchestrator.Persistence;
using RunMesh.Orchestrator.Templates;
using RunMesh.Orchestrator.Tests.Persistence;

namespace RunMesh.Orchestrator.Tests.Templates;

/// <summary>The template store on a real PostgreSQL database, migrated as the service migrates it.</summary>
public sealed class TemplateRegistryTests : IAsyncLifetime
{
    private MigratedOrchestratorDatabase _database = null!;

    public async Task InitializeAsync() => _database = await MigratedOrchestratorDatabase.CreateAsync("orchestrator_templates");

    public async Task DisposeAsync() => await _database.DisposeAsync();

    private OrchestratorDbContext Open() => _database.Open();

    private async Task<TemplateRegistration> RegisterAsync(string text, string contentType = "application/json")
    {
        await using var db = Open();
        return await new TemplateRegistry(db, TimeProvider.System, new ResolvedTemplates()).RegisterAsync(text, contentType, "test-admin", CancellationToken.None);
    }

    private async Task<WorkflowTemplate?> FindAsync(string reference)
    {
        await using var db = Open();
        return await new TemplateRegistry(db, TimeProvider.System, new ResolvedTemplates()).FindAsync(reference, CancellationToken.None);
    }

    private static string Named(string name, int version = 1)
    {
        var template = TemplateSamples.SpecReview();
        template["name"] = name;
        template["version"] = version;
        return template.ToJsonString();
    }

    private static string NewName() => $"t{Guid.NewGuid():N}"[..16];

    [Fact]
    public async Task FindAsync_by_name_and_version_returns_the_registered_template()
    {
        var name = NewName();
        var registered = await RegisterAsync(Named(name, 3));

        var found = await FindAsync($"{name}@3");

        registered.Outcome.ShouldBe(TemplateRegistrationOutcome.Created);
        found.ShouldNotBeNull();
        found.Reference.ShouldBe($"{name}@3");
        found.Hash.ShouldBe(registered.Summary!.Hash);
        found.Phases.Select(p => p.Key).ShouldBe(["spec", "review"]);
        found.Phases[0].Gates.Single().Name.ShouldBe("spec-approval");
        found.InputSchema.ShouldNotBeNull();
    }

    [Fact]
    public async Task A_name_and_version_once_resolved_is_not_read_from_the_database_again_by_the_same_process()
    {
        var name = NewName();
        await RegisterAsync(Named(name, 2));
        var resolved = new ResolvedTemplates();
        await using (var db = Open())
        {
            (await new TemplateRegistry(db, TimeProvider.System, resolved).FindAsync($"{name}@2", CancellationToken.None)).ShouldNotBeNull();
        }

        // The row goes (no API removes one: this only proves where the second answer comes from).
        await using (var db = Open())
        {
            await db.Templates.Where(t => t.Name == name).ExecuteDeleteAsync();
            var again = await new TemplateRegistry(db, TimeProvider.System, resolved).FindAsync($"{name}@2", CancellationToken.None);
            again.ShouldNotBeNull().Reference.ShouldBe($"{name}@2");
        }

        (await FindAsync($"{name}@2")).ShouldBeNull("another process (a fresh cache) reads the database");
    }

    [Fact]
    public async Task FindAsync_by_hash_returns_the_registered_template_with_its_canonical_json()
    {
        var name = NewName();
        var registered = await RegisterAsync(Named(name));
        var hash = registered.Summary!.Hash;

        var found = await FindAsync(hash);
        var foundUpperCase = await FindAsync("sha256:" + hash["sha256:".Length..].ToUpperInvariant());

        found.ShouldNotBeNull();
        found.Reference.ShouldBe($"{name}@1");
        found.Hash.ShouldBe(hash);
        found.CanonicalJson.ShouldBe(RunMesh.Hashing.CanonicalJson.Canonicalize(Named(name)));
        foundUpperCase.ShouldNotBeNull().Hash.ShouldBe(hash);
    }

    [Fact]
    public async Task FindAsync_reads_a_stored_template_back_through_jsonb_with_the_same_hash()
    {
        // A fresh process has nothing cached: the template is read from the jsonb column, canonicalized and validated again.
        var name = NewName();
        var yaml = TemplateSamples.SpecReviewYaml.Replace("name: spec-review", $"name: {name}", StringComparison.Ordinal);
        var registered = await RegisterAsync(yaml, "application/yaml");
        await using var db = Open();
        var row = await db.Templates.AsNoTracking().SingleAsync(t => t.Name == name);

        var reloaded = await TemplateValidator.ValidateAsync(JsonNode.Parse(RunMesh.Hashing.CanonicalJson.Canonicalize(row.CanonicalJson))!.AsObject());

        reloaded.Template.ShouldNotBeNull().Hash.ShouldBe(registered.Summary!.Hash);
        row.Hash.ShouldBe(registered.Summary.Hash);
    }

    [Fact]
    public async Task FindAsync_answers_only_what_the_database_holds_even_after_loading_it_once()
    {
        var name = NewName();
        var hash = (await RegisterAsync(Named(name))).Summary!.Hash;
        (await FindAsync(hash)).ShouldNotBeNull();
        await using (var db = Open())
        {
            await db.Templates.Where(t => t.Name == name).ExecuteDeleteAsync();
        }

        (await FindAsync(hash)).ShouldBeNull();
        (await FindAsync($"{name}@1")).ShouldBeNull();
    }

    [Theory]
    [InlineData("nothing-registered@1")]
    [InlineData("sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("spec-review")]
    [InlineData("spec-review@")]
    [InlineData("spec-review@0")]
    [InlineData("spec-review@-1")]
    [InlineData("spec-review@one")]
    [InlineData("@1")]
    [InlineData("sha256:1234")]
    [InlineData("sha256:zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("")]
    public async Task FindAsync_returns_null_for_an_unknown_or_malformed_reference(string reference)
    {
        await RegisterAsync(Named("spec-review"));

        (await FindAsync(reference)).ShouldBeNull();
    }

    [Fact]
    public async Task Registering_identical_content_again_is_unchanged_and_other_content_is_a_conflict()
    {
        var name = NewName();
        var first = await RegisterAsync(Named(name));
        var again = await RegisterAsync(Named(name));
        var changed = TemplateSamples.SpecReview();
        changed["name"] = name;
        changed["timeoutSeconds"] = 60;
        var conflict = await RegisterAsync(changed.ToJsonString());

        first.Outcome.ShouldBe(TemplateRegistrationOutcome.Created);
        again.Outcome.ShouldBe(TemplateRegistrationOutcome.Unchanged);
        again.Summary!.Hash.ShouldBe(first.Summary!.Hash);
        again.Summary.CreatedAt.ShouldBe(first.Summary.CreatedAt, "the template registered first, unchanged");
        again.Summary.Phases.ShouldBe(first.Summary.Phases);
        conflict.Outcome.ShouldBe(TemplateRegistrationOutcome.Conflict);
        conflict.RegisteredHash.ShouldBe(first.Summary.Hash);
        conflict.Hash.ShouldNotBe(first.Summary.Hash);
        (await FindAsync($"{name}@1")).ShouldNotBeNull().Hash.ShouldBe(first.Summary.Hash);
    }

    [Fact]
    public async Task Concurrent_identical_registrations_create_the_template_once()
    {
        var text = Named(NewName());

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => RegisterAsync(text))));

        outcomes.Count(o => o.Outcome == TemplateRegistrationOutcome.Created).ShouldBe(1);
        outcomes.Count(o => o.Outcome == TemplateRegistrationOutcome.Unchanged).ShouldBe(9);
        outcomes.Select(o => o.Summary!.Hash).Distinct().Count().ShouldBe(1);
    }

    [Fact]
    public async Task Unreadable_and_invalid_templates_are_refused_with_every_problem_and_store_nothing()
    {
        var invalid = TemplateSamples.SpecReview();
        invalid["version"] = 0;
        invalid["phases"]![1]!["key"] = "spec";
        invalid["phases"]![0]!["executor"] = "shell";

        var unreadable = await RegisterAsync("{\"name\": ", "application/json");
        var refused = await RegisterAsync(invalid.ToJsonString());

        unreadable.Outcome.ShouldBe(TemplateRegistrationOutcome.Unreadable);
        unreadable.Problems.ShouldNotBeEmpty();
        refused.Outcome.ShouldBe(TemplateRegistrationOutcome.Invalid);
        var paths = refused.Problems!.Select(p => p.Path).ToList();
        paths.ShouldContain("$.version");
        paths.ShouldContain("$.phases[0].executor");
        paths.ShouldContain("$.phases[1].key");
        await using var db = Open();
        (await db.Templates.CountAsync(t => t.Version == 0)).ShouldBe(0);
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_gaps_or_repeats()
    {
        var names = Enumerable.Range(0, 5).Select(_ => NewName()).ToList();
        foreach (var name in names)
        {
            (await RegisterAsync(Named(name))).Outcome.ShouldBe(TemplateRegistrationOutcome.Created);
        }

        var seen = new List<TemplateListItem>();
        TemplateCursor? cursor = null;
        do
        {
            await using var db = Open();
            var page = await new TemplateRegistry(db, TimeProvider.System, new ResolvedTemplates()).ListAsync(2, cursor, name: null, CancellationToken.None);
            page.Items.Count.ShouldBeLessThanOrEqualTo(2);
            seen.AddRange(page.Items);
            cursor = page.NextCursor is null ? null : TemplateCursor.TryDecode(page.NextCursor, out var next) ? next : throw new InvalidOperationException();
        }
        while (cursor is not null);

        seen.Select(t => $"{t.Name}@{t.Version}").ShouldBeUnique();
        var mine = seen.Where(t => names.Contains(t.Name)).Select(t => t.Name).ToList();
        mine.ShouldBe(Enumerable.Reverse(names).ToList());
        seen.Select(t => t.CreatedAt).ShouldBeInOrder(SortDirection.Descending);
    }

    [Fact]
    public async Task Listing_by_name_pages_through_every_version_of_that_name_only()
    {
        var name = NewName();
        var other = NewName();
        foreach (var text in new[] { Named(name, 1), Named(other, 1), Named(name, 2), Named(name, 3) })
        {
            (await RegisterAsync(text)).Outcome.ShouldBe(TemplateRegistrationOutcome.Created);
        }

        var seen = new List<TemplateListItem>();
        TemplateCursor? cursor = null;
        do
        {
            await using var db = Open();
            var page = await new TemplateRegistry(db, TimeProvider.System, new ResolvedTemplates()).ListAsync(2, cursor, name, CancellationToken.None);
            seen.AddRange(page.Items);
            cursor = page.NextCursor is null ? null : TemplateCursor.TryDecode(page.NextCursor, out var next) ? next : throw new InvalidOperationException();
        }
        while (cursor is not null);

        seen.Select(t => $"{t.Name}@{t.Version}").ShouldBe([$"{name}@3", $"{name}@2", $"{name}@1"]);
    }

    [Fact]
    public async Task A_reference_that_matches_nothing_is_answered_with_what_to_send_instead()
    {
        var name = NewName();
        (await RegisterAsync(Named(name, 1))).Outcome.ShouldBe(TemplateRegistrationOutcome.Created);
        (await RegisterAsync(Named(name, 2))).Outcome.ShouldBe(TemplateRegistrationOutcome.Created);
        await using var db = Open();
        var registry = new TemplateRegistry(db, TimeProvider.System, new ResolvedTemplates());

        (await registry.FindAsync(name, CancellationToken.None)).ShouldBeNull();
        TemplateRegistry.NotFoundMessage(name, await registry.VersionsOfNameAsync(name, CancellationToken.None)).ShouldBe(
            $"'{name}' names a template but not its version: use name@version, e.g. '{name}@2' (registered versions of '{name}': 1, 2).");
        TemplateRegistry.NotFoundMessage($"{name}@9", await registry.VersionsOfNameAsync($"{name}@9", CancellationToken.None)).ShouldBe(
            $"No template is registered as '{name}@9'; the registered versions of '{name}' are 1, 2.");
        TemplateRegistry.NotFoundMessage("never-registered", await registry.VersionsOfNameAsync("never-registered", CancellationToken.None)).ShouldBe(
            "No template is registered as 'never-registered': name a template as name@version (e.g. spec-review@1) or by its hash (sha256:…).");
    }
}
