using System.Text;

namespace RunMesh.Reliability.Tests.HostileInput;

/// <summary>
/// One hostile request through the gateway: who sends it, what, and the status class it must get (4xx; the exact
/// status when the contract names it). Paths and bodies may use the placeholders <c>{completedRun}</c>,
/// <c>{failedRun}</c> and <c>{decidedRequest}</c>, filled in from runs the test prepared.
/// </summary>
public sealed record HostileRequest(string Name, string Role, string Method, string Path, byte[]? Body = null, string ContentType = "application/json", int? Status = null)
{
    public static HostileRequest Json(string name, string role, string method, string path, string body, int? status = null) =>
        new(name, role, method, path, Encoding.UTF8.GetBytes(body), "application/json", status);

    public static HostileRequest Get(string name, string role, string path, int? status = null) => new(name, role, "GET", path, null, "", status);

    public override string ToString() => Name;
}
