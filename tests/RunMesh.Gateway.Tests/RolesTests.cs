using RunMesh.Hosting.Identity;

namespace RunMesh.Gateway.Tests;

/// <summary>Roles are cumulative: viewer &lt; submitter &lt; approver &lt; admin.</summary>
public sealed class RolesTests
{
    public static TheoryData<string?, string, bool> Cases()
    {
        var data = new TheoryData<string?, string, bool>();
        var ordered = Roles.Ordered.ToList();
        foreach (var required in ordered)
        {
            foreach (var role in ordered)
            {
                data.Add(role, required, ordered.IndexOf(role) >= ordered.IndexOf(required));
            }

            data.Add(null, required, false);
            data.Add("root", required, false);
            data.Add("Admin", required, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_role_includes_every_role_below_it(string? role, string required, bool included) =>
        Roles.Includes(role, required).ShouldBe(included);
}
