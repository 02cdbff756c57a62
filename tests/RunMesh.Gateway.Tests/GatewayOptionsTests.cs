using System.ComponentModel.DataAnnotations;

namespace RunMesh.Gateway.Tests;

/// <summary>A misconfigured gateway refuses to start, naming the setting (and never echoing a value).</summary>
public sealed class GatewayOptionsTests
{
    private const string Hash = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    public static TheoryData<string, string?> Cases => new()
    {
        { "valid", null },
        { "unknown role", "Gateway:ApiKeys:someone:Role" },
        { "hash without prefix", "Gateway:ApiKeys:someone:KeyHashes:0" },
        { "upper-case hash", "Gateway:ApiKeys:someone:KeyHashes:0" },
        { "short hash", "Gateway:ApiKeys:someone:KeyHashes:0" },
        { "no signing key", "Gateway:Signing:PrivateKeyPath" },
        { "two signing keys", "Gateway:Signing:PrivateKeyPath" },
        { "token lifetime over 60 s", "Gateway:Signing:TokenLifetimeSeconds" },
        { "no permits", "Gateway:RateLimit:PermitsPerMinute" },
        { "negative per-address permits", "Gateway:RateLimit:PerClientAddress:PermitsPerSecond" },
        { "burst below the rate", "Gateway:RateLimit:PerClientAddress:Burst" },
        { "per-address limit off", null },
        { "relative public url", "Gateway:PublicUrl" },
        { "public url with a query", "Gateway:PublicUrl" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Options_are_validated(string change, string? expectedError)
    {
        var identity = new ApiKeyIdentity { Role = "viewer", KeyHashes = [Hash] };
        var options = new GatewayOptions { ApiKeys = { ["someone"] = identity }, Signing = { PrivateKeyPath = "/keys/gateway.key" } };
        switch (change)
        {
            case "unknown role": identity.Role = "root"; break;
            case "hash without prefix": identity.KeyHashes = [Hash[7..]]; break;
            case "upper-case hash": identity.KeyHashes = [Hash.ToUpperInvariant()]; break;
            case "short hash": identity.KeyHashes = [Hash[..40]]; break;
            case "no signing key": options.Signing.PrivateKeyPath = null; break;
            case "two signing keys": options.Signing.PrivateKeyPem = "-----BEGIN PRIVATE KEY-----"; break;
            case "token lifetime over 60 s": options.Signing.TokenLifetimeSeconds = 61; break;
            case "no permits": options.RateLimit.PermitsPerMinute = 0; break;
            case "negative per-address permits": options.RateLimit.PerClientAddress.PermitsPerSecond = -1; break;
            case "burst below the rate": options.RateLimit.PerClientAddress.Burst = options.RateLimit.PerClientAddress.PermitsPerSecond - 1; break;
            case "per-address limit off": options.RateLimit.PerClientAddress.PermitsPerSecond = 0; break;
            case "relative public url": options.PublicUrl = "/runmesh"; break;
            case "public url with a query": options.PublicUrl = "https://runmesh.example.com/?x=1"; break;
        }

        var errors = options.Validate(new ValidationContext(options)).Select(e => e.ErrorMessage!).ToList();

        if (expectedError is null)
        {
            errors.ShouldBeEmpty();
        }
        else
        {
            errors.ShouldHaveSingleItem().ShouldContain(expectedError);
            errors.Single().ShouldNotContain(Hash[7..]);
        }
    }
}
