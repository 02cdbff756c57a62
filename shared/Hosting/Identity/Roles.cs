using Microsoft.AspNetCore.Authorization;

namespace RunMesh.Hosting.Identity;

/// <summary>
/// The four roles, cumulative: <c>viewer &lt; submitter &lt; approver &lt; admin</c>. Each role is also the name of the
/// authorization policy that admits it and every role above it (the gateway's routes and the services use the same names).
/// </summary>
public static class Roles
{
    /// <summary>Reads templates, runs, events, artifacts and reports.</summary>
    public const string Viewer = "viewer";

    /// <summary>Also starts, cancels and retries runs.</summary>
    public const string Submitter = "submitter";

    /// <summary>Also lists and decides approvals.</summary>
    public const string Approver = "approver";

    /// <summary>Everything, including registering templates and diagnostics.</summary>
    public const string Admin = "admin";

    /// <summary>The roles from lowest to highest.</summary>
    public static IReadOnlyList<string> Ordered { get; } = [Viewer, Submitter, Approver, Admin];

    /// <summary>Whether <paramref name="role"/> is one of the four.</summary>
    public static bool IsKnown(string? role) => role is not null && Ordered.Contains(role);

    /// <summary>The roles that include <paramref name="required"/>: it and every role above it.</summary>
    public static IEnumerable<string> AtLeast(string required)
    {
        var index = Ordered.ToList().IndexOf(required);
        return index < 0 ? throw new ArgumentException($"Unknown role '{required}'.", nameof(required)) : Ordered.Skip(index);
    }

    /// <summary>Whether a caller with <paramref name="role"/> may do what needs <paramref name="required"/>.</summary>
    public static bool Includes(string? role, string required) => role is not null && AtLeast(required).Contains(role);

    /// <summary>Adds one policy per role (named as the role) and makes an authenticated caller the fallback for every endpoint.</summary>
    public static AuthorizationOptions AddRolePolicies(this AuthorizationOptions options)
    {
        foreach (var role in Ordered)
        {
            options.AddPolicy(role, policy => policy.RequireAuthenticatedUser().RequireRole(AtLeast(role)));
        }

        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
        return options;
    }
}
