using System.Text;

namespace RunMesh.Reliability.Tests.HostileInput;

/// <summary>
/// One hostile request through the gateway: who sends it, what, and the status class it must get (4xx; the exact
/// status when the contract names it). Paths and bodies may use the placeholders <c>{completedRun}</c>,
/// <c>{failedRun}</c> and <c>{decidedRequest}</c>, filled in from runs the test prepared. <see cref="Mentions"/>, when
/// set, is text the problem must contain (the field it names, its code).
/// </summary>
public sealed record HostileRequest(string Name, string Role, string Method, string Path, byte[]? Body = null, string ContentType = "application/json", int? Status = null)
{
    /// <summary>Text the answer's body must contain, e.g. <c>$.options.budget</c>; <see langword="null"/> for none.</summary>
    public string? Mentions { get; init; }

    public static HostileRequest Json(string name, string role, string method, string path, string body, int? status = null) =>
        new(name, role, method, path, Encoding.UTF8.GetBytes(body), "application/json", status);

    public static HostileRequest Get(string name, string role, string path, int? status = null) => new(name, role, "GET", path, null, "", status);

    public override string ToString() => Name;
}
