using System.Text.Json.Nodes;
using RunMesh.Hashing;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class TemplateHashTests
{
    [Fact]
    public async Task Yaml_and_json_of_the_same_template_have_the_same_hash()
    {
        var fromYaml = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewYaml)).Template.ShouldNotBeNull();
        var fromJson = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewJson)).Template.ShouldNotBeNull();

        fromYaml.Hash.ShouldBe(fromJson.Hash);
        fromYaml.CanonicalJson.ShouldBe(fromJson.CanonicalJson);
    }

    [Fact]
    public async Task The_hash_is_the_digest_of_the_canonical_json_of_the_template_as_written()
    {
        var json = TemplateSamples.SpecReview();

        var template = (await TemplateValidator.ValidateAsync(json)).Template.ShouldNotBeNull();

        template.Hash.ShouldBe(TemplateHash.Of(json));
        template.Hash.ShouldBe(Digest.Of(json));
        template.Hash.ShouldBe(Digest.OfJson(TemplateSamples.SpecReviewJson));
        Digest.IsValid(template.Hash).ShouldBeTrue();
        template.CanonicalJson.ShouldBe(CanonicalJson.SerializeToString(json));
    }

    [Fact]
    public async Task Registering_identical_content_twice_gives_the_same_hash()
    {
        var first = await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewJson);
        var second = await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewJson.Replace("\n", "\n   ", StringComparison.Ordinal));

        second.Template!.Hash.ShouldBe(first.Template!.Hash);
    }

    public static TheoryData<string, string, string> Changes => new()
    {
        { "a new version", "version", "2" },
        { "other instructions", "phases.0.instructions", "\"Write a short spec for {{inputs.feature}}\"" },
        { "another schema", "phases.1.artifact.schema.properties.verdict.enum", "[\"approve\"]" },
        { "a default written out", "phases.1.repairAttempts", "1" },
        { "another budget", "budget.maxCostUsd", "4.99" },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task Any_change_of_content_changes_the_hash(string change, string path, string json)
    {
        var original = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReview())).Template!;

        var changed = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewWith(path, json))).Template.ShouldNotBeNull(change);

        changed.Hash.ShouldNotBe(original.Hash, change);
    }

    [Fact]
    public async Task The_stored_canonical_json_reads_back_as_the_same_template()
    {
        var template = (await TemplateValidator.ValidateAsync(TemplateSamples.SpecReviewYaml)).Template!;

        var again = (await TemplateValidator.ValidateAsync(template.ToJsonObject())).Template!;

        again.Hash.ShouldBe(template.Hash);
        JsonNode.DeepEquals(again.ToJsonObject(), template.ToJsonObject()).ShouldBeTrue();
    }
}
