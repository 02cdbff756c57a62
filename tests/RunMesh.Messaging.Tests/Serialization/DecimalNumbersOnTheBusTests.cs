using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit.Serialization.JsonConverters;
using RunMesh.Contracts;
using RunMesh.Hosting.Messaging;

namespace RunMesh.Messaging.Tests.Serialization;

/// <summary>
/// Money on the bus is a JSON number (docs/bus-contract.md, "Numbers and money"), and a consumer still reads the string
/// form MassTransit's own converter wrote, so messages an older version left in a queue or an outbox are not lost.
/// </summary>
public sealed class DecimalNumbersOnTheBusTests
{
    // The bus's options as MassTransit starts them: camelCase, and its converter that writes decimals as strings.
    private static readonly JsonSerializerOptions s_massTransitDefaults = new(JsonSerializerDefaults.Web)
    {
        Converters = { new StringDecimalJsonConverter() },
    };

    private static readonly JsonSerializerOptions s_bus = BusExtensions.WithDecimalNumbers(s_massTransitDefaults);

    private static readonly DateTimeOffset s_noon = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    private static RunFinished Finished(decimal cost, decimal? maxCost) => new()
    {
        RunId = Guid.NewGuid(),
        Generation = 1,
        State = RunState.Completed,
        Template = new TemplateRef { Name = "spec-review", Version = 3, Hash = "sha256:ab" },
        InputBundleHash = "sha256:cd",
        Options = new RunOptions { Budget = new Budget { MaxCostUsd = maxCost, MaxTokens = 1000 } },
        EndedAt = s_noon,
        TotalUsage = new Usage { InputTokens = 12, OutputTokens = 40, CostUsd = cost },
    };

    [Fact]
    public void Costs_and_budgets_are_written_as_json_numbers_with_their_digits()
    {
        var json = JsonSerializer.SerializeToNode(Finished(0.000069m, 5.0m), s_bus)!;

        json["totalUsage"]!["costUsd"]!.GetValueKind().ShouldBe(JsonValueKind.Number);
        json["totalUsage"]!["costUsd"]!.ToJsonString().ShouldBe("0.000069");
        json["options"]!["budget"]!["maxCostUsd"]!.GetValueKind().ShouldBe(JsonValueKind.Number);
        json["options"]!["budget"]!["maxCostUsd"]!.ToJsonString().ShouldBe("5.0");
    }

    [Theory]
    [InlineData(0.000069)]
    [InlineData(0)]
    [InlineData(123456.789012)]
    public void A_message_read_back_has_the_same_amounts(decimal cost)
    {
        var sent = Finished(cost, cost + 1);

        var received = JsonSerializer.Deserialize<RunFinished>(JsonSerializer.Serialize(sent, s_bus), s_bus)!;

        received.TotalUsage.CostUsd.ShouldBe(cost);
        received.Options.Budget!.MaxCostUsd.ShouldBe(cost + 1);
    }

    [Fact]
    public void The_string_form_an_older_sender_wrote_is_still_read()
    {
        var old = JsonSerializer.Serialize(Finished(0.000069m, 5m), s_massTransitDefaults);
        old.ShouldContain("\"costUsd\":\"0.000069\"");

        var received = JsonSerializer.Deserialize<RunFinished>(old, s_bus)!;

        received.TotalUsage.CostUsd.ShouldBe(0.000069m);
        received.Options.Budget!.MaxCostUsd.ShouldBe(5m);
    }

    [Theory]
    [InlineData("""{"inputTokens":1,"outputTokens":2,"costUsd":1.6e-05}""", 0.000016)]
    [InlineData("""{"inputTokens":1,"outputTokens":2,"costUsd":"1.6e-05"}""", 0.000016)]
    [InlineData("""{"inputTokens":1,"outputTokens":2,"costUsd":null}""", 0)]
    [InlineData("""{"inputTokens":1,"outputTokens":2}""", 0)]
    public void Numbers_in_exponent_form_strings_and_null_are_read(string usage, decimal cost)
    {
        JsonSerializer.Deserialize<Usage>(usage, s_bus)!.CostUsd.ShouldBe(cost);
    }

    [Fact]
    public void A_null_budget_limit_stays_null()
    {
        var budget = JsonSerializer.Deserialize<Budget>("""{"maxCostUsd":null,"maxTokens":10}""", s_bus)!;

        budget.MaxCostUsd.ShouldBeNull();
    }

    [Fact]
    public void A_cost_that_is_no_number_is_refused()
    {
        Should.Throw<JsonException>(() => JsonSerializer.Deserialize<Usage>("""{"costUsd":"cheap"}""", s_bus));
    }

    [Fact]
    public void Configuring_twice_changes_nothing_more()
    {
        BusExtensions.WithDecimalNumbers(s_bus).ShouldBeSameAs(s_bus);
        s_bus.Converters.OfType<StringDecimalJsonConverter>().ShouldBeEmpty();
        s_massTransitDefaults.Converters.OfType<StringDecimalJsonConverter>().ShouldHaveSingleItem();
    }

    [Fact]
    public void A_payload_node_holding_a_decimal_is_written_as_a_number()
    {
        var payload = new JsonObject { ["costUsd"] = 0.000069m };

        JsonSerializer.Serialize(payload, s_bus).ShouldBe("""{"costUsd":0.000069}""");
    }
}
