using RunMesh.Contracts;
using RunMesh.Orchestrator.Templates;

namespace RunMesh.Orchestrator.Tests.Templates;

public sealed class RunBudgetTests
{
    private static readonly Budget s_template = new() { MaxCostUsd = 5m, MaxTokens = 200_000 };

    public static TheoryData<string, Budget?, Budget?, Budget?> Lowerings => new()
    {
        // case, template budget, run's budget, effective budget
        { "no run budget keeps the template's", s_template, null, s_template },
        { "an empty run budget keeps the template's", s_template, new Budget(), s_template },
        { "a lower cost lowers only the cost", s_template, new Budget { MaxCostUsd = 2m }, new Budget { MaxCostUsd = 2m, MaxTokens = 200_000 } },
        { "lower tokens lower only the tokens", s_template, new Budget { MaxTokens = 1000 }, new Budget { MaxCostUsd = 5m, MaxTokens = 1000 } },
        { "equal limits are accepted", s_template, s_template, s_template },
        { "a limit the template lacks can be set", new Budget { MaxCostUsd = 5m }, new Budget { MaxTokens = 10 }, new Budget { MaxCostUsd = 5m, MaxTokens = 10 } },
        { "a template without budget takes the run's", null, new Budget { MaxCostUsd = 1m }, new Budget { MaxCostUsd = 1m } },
        { "no budget anywhere is no limit", null, null, null },
    };

    [Theory]
    [MemberData(nameof(Lowerings))]
    public void A_run_budget_may_lower_the_template_budget(string why, Budget? template, Budget? requested, Budget? effective)
    {
        var resolution = RunBudget.Resolve(template, requested);

        resolution.Problems.ShouldBeEmpty(why);
        resolution.IsAccepted.ShouldBeTrue(why);
        resolution.Effective.ShouldBe(effective, why);
    }

    public static TheoryData<string, Budget, string[]> Refusals => new()
    {
        { "a higher cost", new Budget { MaxCostUsd = 10m }, ["$.options.budget.maxCostUsd: 10 is above the template's budget of 5; a run may only lower the budget"] },
        { "higher tokens", new Budget { MaxTokens = 300_000 }, ["$.options.budget.maxTokens: 300000 is above the template's budget of 200000; a run may only lower the budget"] },
        { "both higher", new Budget { MaxCostUsd = 6m, MaxTokens = 300_000 }, ["$.options.budget.maxCostUsd: 6 is above the template's budget of 5; a run may only lower the budget", "$.options.budget.maxTokens: 300000 is above the template's budget of 200000; a run may only lower the budget"] },
        { "zero cost", new Budget { MaxCostUsd = 0m }, ["$.options.budget.maxCostUsd: must be positive"] },
        { "negative tokens", new Budget { MaxTokens = -1 }, ["$.options.budget.maxTokens: must be positive"] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_run_budget_may_not_raise_the_template_budget(string why, Budget requested, string[] problems)
    {
        var resolution = RunBudget.Resolve(s_template, requested);

        resolution.IsAccepted.ShouldBeFalse(why);
        resolution.Effective.ShouldBeNull();
        resolution.Problems.Select(p => p.ToString()).ShouldBe(problems, why);
    }
}
