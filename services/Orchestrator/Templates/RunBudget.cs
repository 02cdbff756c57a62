using RunMesh.Contracts;
using RunMesh.Hosting.Documents;

namespace RunMesh.Orchestrator.Templates;

/// <summary>The outcome of <see cref="RunBudget.Resolve"/>: the budget the run gets, or why the request is refused.</summary>
/// <param name="Effective">The run's budget; <see langword="null"/> for no limit at all, or when there are problems.</param>
/// <param name="Problems">Why the run's <c>options.budget</c> is refused; empty when it is accepted.</param>
public sealed record BudgetResolution(Budget? Effective, IReadOnlyList<ValidationProblem> Problems)
{
    /// <summary>Whether the run's budget is accepted.</summary>
    public bool IsAccepted => Problems.Count == 0;
}

/// <summary>
/// A run's effective budget: the template's budget is the ceiling, and the run's <c>options.budget</c> may lower it,
/// limit by limit, never raise it. A limit the template does not set can be set by the run; a limit the run does not
/// set stays the template's.
/// </summary>
public static class RunBudget
{
    /// <summary>
    /// Combines <paramref name="template"/>'s budget with the run's <paramref name="requested"/> one. Each limit is
    /// <c>min(template, requested)</c> when both are set, else whichever is set; a requested limit above the template's,
    /// or not positive, is a problem (path <c>$.options.budget.…</c>).
    /// </summary>
    public static BudgetResolution Resolve(Budget? template, Budget? requested)
    {
        var problems = new List<ValidationProblem>();
        var maxCostUsd = Lower(template?.MaxCostUsd, requested?.MaxCostUsd, "maxCostUsd", problems);
        var maxTokens = Lower(template?.MaxTokens, requested?.MaxTokens, "maxTokens", problems);
        if (problems.Count > 0)
        {
            return new BudgetResolution(null, problems);
        }

        var effective = maxCostUsd is null && maxTokens is null ? null : new Budget { MaxCostUsd = maxCostUsd, MaxTokens = maxTokens };
        return new BudgetResolution(effective, []);
    }

    private static T? Lower<T>(T? ceiling, T? requested, string field, List<ValidationProblem> problems)
        where T : struct, IComparable<T>
    {
        if (requested is not { } wanted)
        {
            return ceiling;
        }

        var path = $"$.options.budget.{field}";
        if (wanted.CompareTo(default) <= 0)
        {
            problems.Add(new ValidationProblem(path, "must be positive"));
            return null;
        }

        if (ceiling is { } limit && wanted.CompareTo(limit) > 0)
        {
            problems.Add(new ValidationProblem(path, $"{wanted} is above the template's budget of {limit}; a run may only lower the budget"));
            return null;
        }

        return wanted;
    }
}
