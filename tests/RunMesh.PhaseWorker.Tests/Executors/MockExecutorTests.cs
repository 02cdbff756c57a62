using System.Text.Json.Nodes;
using RunMesh.Contracts;
using RunMesh.Hashing;
using RunMesh.PhaseWorker.Executors;
using RunMesh.PhaseWorker.Tests.Infrastructure;
using RunMesh.Schemas;

namespace RunMesh.PhaseWorker.Tests.Executors;

public sealed class MockExecutorTests
{
    /// <summary>Schemas the mock must satisfy, one per feature it supports.</summary>
    public static TheoryData<string, string> Schemas => new()
    {
        { "object with required and optional properties", """{"type":"object","required":["title","count","done"],"properties":{"title":{"type":"string"},"count":{"type":"integer"},"done":{"type":"boolean"},"note":{"type":"string"}},"additionalProperties":false}""" },
        { "the spec-review example", Commands.SpecSchema.ToJsonString() },
        { "long string", """{"type":"string","minLength":50,"maxLength":60}""" },
        { "short string", """{"type":"string","maxLength":5}""" },
        { "empty string only", """{"type":"string","maxLength":0}""" },
        { "string enum", """{"type":"string","enum":["low","medium","high"]}""" },
        { "formats", """{"type":"object","required":["at","day","email","site","id","host","ip"],"properties":{"at":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},"email":{"type":"string","format":"email"},"site":{"type":"string","format":"uri"},"id":{"type":"string","format":"uuid"},"host":{"type":"string","format":"hostname"},"ip":{"type":"string","format":"ipv4"}}}""" },
        { "number with exclusive bounds and multipleOf", """{"type":"number","exclusiveMinimum":1,"exclusiveMaximum":2,"multipleOf":0.25}""" },
        { "number with bounds", """{"type":"number","minimum":-3.5,"maximum":-3.25}""" },
        { "number with an exclusive minimum only", """{"type":"number","exclusiveMinimum":1000}""" },
        { "integer with bounds and multipleOf", """{"type":"integer","minimum":10,"maximum":20,"multipleOf":7}""" },
        { "integer with exclusive bounds", """{"type":"integer","exclusiveMinimum":5,"exclusiveMaximum":7}""" },
        { "integer with a maximum only", """{"type":"integer","maximum":-500}""" },
        { "boolean", """{"type":"boolean"}""" },
        { "array of unique objects", """{"type":"array","minItems":3,"maxItems":5,"uniqueItems":true,"items":{"type":"object","required":["name","score"],"properties":{"name":{"type":"string","minLength":1},"score":{"type":"number","minimum":0,"maximum":1}}}}""" },
        { "array with maxItems 0", """{"type":"array","maxItems":0,"items":{"type":"string"}}""" },
        { "tuple", """{"type":"array","items":[{"type":"string"},{"type":"integer"},{"type":"boolean"}],"additionalItems":false}""" },
        { "const", """{"type":"object","required":["version","kind"],"properties":{"version":{"const":2},"kind":{"const":"spec"}}}""" },
        { "enum without type", """{"enum":[1,"two",null]}""" },
        { "oneOf", """{"oneOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"string"}},"additionalProperties":false},{"type":"integer"}]}""" },
        { "anyOf", """{"anyOf":[{"type":"string","minLength":3},{"type":"null"}]}""" },
        { "allOf", """{"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}},{"required":["b"],"properties":{"b":{"type":"integer","minimum":1}}}]}""" },
        { "ref to definitions", """{"type":"object","required":["owner"],"properties":{"owner":{"$ref":"#/definitions/person"}},"definitions":{"person":{"type":"object","required":["name","email"],"properties":{"name":{"type":"string"},"email":{"type":"string","format":"email"}}}}}""" },
        { "ref to $defs", """{"type":"object","required":["items"],"properties":{"items":{"type":"array","minItems":2,"items":{"$ref":"#/$defs/item"}}},"$defs":{"item":{"type":"object","required":["sku"],"properties":{"sku":{"type":"string","maxLength":8}}}}}""" },
        { "recursive ref", """{"type":"object","required":["name","children"],"properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"}}}}""" },
        { "nullable type", """{"type":"object","required":["maybe","never"],"properties":{"maybe":{"type":["string","null"]},"never":{"type":"null"}}}""" },
        { "no type", """{"properties":{"x":{"minimum":3}},"required":["x"]}""" },
        { "object with required but undeclared property", """{"type":"object","required":["extra"],"additionalProperties":{"type":"integer"}}""" },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public async Task Artifact_satisfies_the_schema(string feature, string schemaJson)
    {
        var schema = Commands.Schema(schemaJson);
        await using var services = WorkerServices.Build();

        var result = await services.Executor("mock").ExecuteAsync(Commands.Execute(schema: schema), CancellationToken.None);

        var errors = await ValidateAsync(schema, result.Artifact);
        errors.ShouldBeEmpty($"{feature}: {result.Artifact?.ToJsonString()}");
    }

    [Theory]
    [MemberData(nameof(Schemas))]
    public async Task Artifact_of_an_invalid_attempt_fails_validation(string feature, string schemaJson)
    {
        var schema = Commands.Schema(schemaJson);
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(schema: schema, settings: new JsonObject { ["invalidAttempts"] = 1 });

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        var errors = await ValidateAsync(schema, result.Artifact);
        errors.ShouldNotBeEmpty($"{feature}: {result.Artifact?.ToJsonString()}");
    }

    [Fact]
    public async Task Attempt_after_the_invalid_attempts_is_valid()
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(settings: new JsonObject { ["invalidAttempts"] = 2 }, attempt: 3);

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        (await ValidateAsync(command.ArtifactSchema, result.Artifact)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Invalid_artifact_of_an_object_schema_lacks_a_required_property()
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(settings: new JsonObject { ["invalidAttempts"] = 1 });

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        result.Artifact.ShouldBeOfType<JsonObject>().ContainsKey("title").ShouldBeFalse();
        (await ValidateAsync(command.ArtifactSchema, result.Artifact)).ShouldContain(error => error.Contains("required property missing", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(1, 1, true)]
    [InlineData(2, 1, true)]
    [InlineData(2, 2, true)]
    [InlineData(2, 3, false)]
    [InlineData(0, 1, false)]
    public async Task Fails_the_first_failAttempts_attempts(int failAttempts, int attempt, bool fails)
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(settings: new JsonObject { ["failAttempts"] = failAttempts }, attempt: attempt);

        var run = () => services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        if (fails)
        {
            (await run.ShouldThrowAsync<ExecutorException>()).Message.ShouldContain("simulated executor failure");
        }
        else
        {
            (await run()).Artifact.ShouldNotBeNull();
        }
    }

    [Fact]
    public async Task Same_inputs_give_the_same_artifact()
    {
        await using var services = WorkerServices.Build();
        var first = Commands.Execute(settings: new JsonObject { ["seed"] = 7 });
        var second = Commands.Execute(settings: new JsonObject { ["seed"] = 7 }); // other run, execution and attempt ids

        var a = await services.Executor("mock").ExecuteAsync(first, CancellationToken.None);
        var b = await services.Executor("mock").ExecuteAsync(second, CancellationToken.None);

        Digest.Of(a.Artifact).ShouldBe(Digest.Of(b.Artifact));
        a.Usage.ShouldBe(b.Usage);
    }

    [Theory]
    [InlineData("other instructions", 7)]
    [InlineData("Write a spec for a rate limiter", 8)]
    public async Task Other_instructions_or_seed_give_other_content(string instructions, int seed)
    {
        await using var services = WorkerServices.Build();
        var baseline = await services.Executor("mock").ExecuteAsync(
            Commands.Execute(settings: new JsonObject { ["seed"] = 7 }), CancellationToken.None);

        var other = await services.Executor("mock").ExecuteAsync(
            Commands.Execute(instructions: instructions, settings: new JsonObject { ["seed"] = seed }), CancellationToken.None);

        Digest.Of(other.Artifact).ShouldNotBe(Digest.Of(baseline.Artifact));
    }

    [Fact]
    public async Task Runs_that_differ_only_in_model_seed_get_different_artifacts()
    {
        await using var services = WorkerServices.Build();

        var first = await services.Executor("mock").ExecuteAsync(Commands.Execute(model: new JsonObject { ["seed"] = 1 }), CancellationToken.None);
        var second = await services.Executor("mock").ExecuteAsync(Commands.Execute(model: new JsonObject { ["seed"] = 2 }), CancellationToken.None);
        var unseeded = await services.Executor("mock").ExecuteAsync(Commands.Execute(), CancellationToken.None);

        Digest.Of(first.Artifact).ShouldNotBe(Digest.Of(second.Artifact));
        Digest.Of(first.Artifact).ShouldNotBe(Digest.Of(unseeded.Artifact));
    }

    [Fact]
    public async Task The_same_model_seed_gives_the_same_artifact()
    {
        await using var services = WorkerServices.Build();
        var model = new JsonObject { ["name"] = "mock", ["seed"] = 4_503_599_627_370_495L }; // 2^52 - 1: a study seed's range

        var a = await services.Executor("mock").ExecuteAsync(Commands.Execute(model: model), CancellationToken.None);
        var b = await services.Executor("mock").ExecuteAsync(Commands.Execute(model: model.DeepClone().AsObject()), CancellationToken.None);

        Digest.Of(a.Artifact).ShouldBe(Digest.Of(b.Artifact));
        (await ValidateAsync(Commands.SpecSchema, a.Artifact)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Model_seed_and_the_seed_setting_are_not_interchangeable()
    {
        await using var services = WorkerServices.Build();

        var byModel = await services.Executor("mock").ExecuteAsync(Commands.Execute(model: new JsonObject { ["seed"] = 7 }), CancellationToken.None);
        var bySetting = await services.Executor("mock").ExecuteAsync(Commands.Execute(settings: new JsonObject { ["seed"] = 7 }), CancellationToken.None);

        Digest.Of(byModel.Artifact).ShouldNotBe(Digest.Of(bySetting.Artifact));
    }

    [Theory]
    [InlineData("\"seven\"")]
    [InlineData("1.5")]
    [InlineData("true")]
    [InlineData("[1]")]
    [InlineData("1e30")]
    public async Task A_model_seed_that_is_not_an_integer_is_an_executor_error(string seed)
    {
        await using var services = WorkerServices.Build();
        var model = new JsonObject { ["seed"] = JsonNode.Parse(seed) };

        var error = await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("mock").ExecuteAsync(Commands.Execute(model: model), CancellationToken.None));

        error.Message.ShouldContain("model.seed");
    }

    [Fact]
    public async Task Strings_are_made_of_the_instructions_words()
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(instructions: "zebra zebra zebra", schema: Commands.Schema("""{"type":"string"}"""));

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        result.Artifact!.GetValue<string>().ShouldContain("zebra");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(8, 2)]
    [InlineData(401, 101)]
    public async Task Input_tokens_are_a_quarter_of_the_instructions_rounded_up(int characters, long tokens)
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(instructions: new string('a', characters));

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        result.Usage.InputTokens.ShouldBe(tokens);
    }

    [Theory]
    [InlineData(0.001, 0.002)]
    [InlineData(1, 10)]
    [InlineData(0, 0)]
    public async Task Output_tokens_and_cost_follow_the_artifact_and_the_price_table(decimal inputPrice, decimal outputPrice)
    {
        await using var services = WorkerServices.Build(options =>
            options.Prices["mock"] = new ModelPrice { InputPer1kTokens = inputPrice, OutputPer1kTokens = outputPrice });
        var command = Commands.Execute(instructions: new string('x', 4000));

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        var canonicalLength = CanonicalJson.SerializeToString(result.Artifact).Length;
        result.Usage.InputTokens.ShouldBe(1000);
        result.Usage.OutputTokens.ShouldBe((canonicalLength + 3) / 4);
        result.Usage.CostUsd.ShouldBe(inputPrice + (result.Usage.OutputTokens * outputPrice / 1000m));
    }

    [Fact]
    public async Task A_cost_is_rounded_to_the_micro_dollar()
    {
        // 0.0000015 USD per token: an odd number of output tokens costs a half micro-dollar more than a whole one.
        await using var services = WorkerServices.Build(options =>
            options.Prices["mock"] = new ModelPrice { InputPer1kTokens = 0.0015m, OutputPer1kTokens = 0.0015m });
        var command = Commands.Execute(instructions: new string('x', 4000));

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        var exact = 0.0015m + (result.Usage.OutputTokens * 0.0015m / 1000m);
        result.Usage.CostUsd.ShouldBe(Math.Round(exact, 6, MidpointRounding.AwayFromZero));
        result.Usage.CostUsd.Scale.ShouldBeLessThanOrEqualTo((byte)Usage.CostDecimalPlaces);
    }

    [Fact]
    public async Task Default_mock_price_is_configured()
    {
        await using var services = WorkerServices.Build();
        var command = Commands.Execute(instructions: new string('x', 4000));

        var result = await services.Executor("mock").ExecuteAsync(command, CancellationToken.None);

        result.Usage.CostUsd.ShouldBe(0.001m + (result.Usage.OutputTokens * 0.002m / 1000m));
    }

    [Fact]
    public async Task Latency_is_cancellable()
    {
        await using var services = WorkerServices.Build();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Should.ThrowAsync<OperationCanceledException>(() =>
            services.Executor("mock").ExecuteAsync(Commands.Execute(settings: new JsonObject { ["latencyMs"] = 60_000 }), cancel.Token));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_first_hangAttempts_attempts_answer_only_when_stopped_and_later_ones_answer()
    {
        await using var services = WorkerServices.Build();
        var settings = new JsonObject { ["hangAttempts"] = 1 };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var hanging = services.Executor("mock").ExecuteAsync(Commands.Execute(settings: settings, attempt: 1), cancel.Token);
        await Should.ThrowAsync<OperationCanceledException>(() => hanging);
        var answered = await services.Executor("mock").ExecuteAsync(Commands.Execute(settings: settings.DeepClone().AsObject(), attempt: 2), CancellationToken.None);

        answered.Artifact.ShouldNotBeNull();
    }

    [Theory]
    [InlineData("""{"latencyMs":-1}""", "latencyMs")]
    [InlineData("""{"hangAttempts":true}""", "hangAttempts")]
    [InlineData("""{"failAttempts":"two"}""", "failAttempts")]
    [InlineData("""{"invalidAttempts":1.5}""", "invalidAttempts")]
    [InlineData("""{"seed":{"a":1}}""", "seed")]
    public async Task Wrong_settings_are_an_executor_error_that_names_the_setting(string settings, string name)
    {
        await using var services = WorkerServices.Build();

        var error = await Should.ThrowAsync<ExecutorException>(() =>
            services.Executor("mock").ExecuteAsync(Commands.Execute(settings: Commands.Schema(settings)), CancellationToken.None));

        error.Message.ShouldContain(name);
    }

    private static async Task<IReadOnlyList<string>> ValidateAsync(JsonObject schema, JsonNode? artifact)
    {
        var loaded = await JsonSchemas.LoadAsync(schema);
        loaded.Problems.ShouldBeEmpty();
        return loaded.Schema!.Validate(artifact);
    }
}
