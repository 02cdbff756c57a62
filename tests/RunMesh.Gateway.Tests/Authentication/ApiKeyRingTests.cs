using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using RunMesh.Gateway.Authentication;

namespace RunMesh.Gateway.Tests.Authentication;

/// <summary>Which caller a presented key belongs to: by hash, several keys per identity, nothing for anything else.</summary>
public sealed class ApiKeyRingTests
{
    private const string AliceOld = "rm_alice_old_0123456789abcdef";
    private const string AliceNew = "rm_alice_new_fedcba9876543210";
    private const string Bob = "rm_bob_aaaaaaaaaaaaaaaaaaaaaaaa";

    private static readonly ApiKeyRing s_ring = new(new StaticOptions(new GatewayOptions
    {
        ApiKeys =
        {
            ["alice"] = new ApiKeyIdentity { Role = "admin", KeyHashes = [ApiKeyRing.HashOf(AliceOld), ApiKeyRing.HashOf(AliceNew)] },
            ["bob"] = new ApiKeyIdentity { Role = "viewer", KeyHashes = [ApiKeyRing.HashOf(Bob)] },
        },
    }));

    public static TheoryData<string, string?, string?> Keys => new()
    {
        { AliceOld, "alice", "admin" },
        { AliceNew, "alice", "admin" },
        { Bob, "bob", "viewer" },
        { Bob.ToUpperInvariant(), null, null },
        { Bob + " ", null, null },
        { Bob[..^1], null, null },
        { "", null, null },
        { "sha256:" + ApiKeyRing.HashOf(Bob)[7..], null, null },
        { new string('x', ApiKeyRing.MaxKeyLength + 1), null, null },
    };

    [Theory]
    [MemberData(nameof(Keys))]
    public void A_key_is_found_only_by_its_exact_value(string key, string? identity, string? role)
    {
        var owner = s_ring.Find(key);

        owner?.Identity.ShouldBe(identity);
        owner?.Role.ShouldBe(role);
        (owner is null).ShouldBe(identity is null);
    }

    [Fact]
    public void Two_keys_of_one_identity_are_rate_limited_apart()
    {
        s_ring.Find(AliceOld)!.KeyId.ShouldNotBe(s_ring.Find(AliceNew)!.KeyId);
        s_ring.Find(AliceOld)!.KeyId.ShouldNotContain(AliceOld);
    }

    [Fact]
    public void The_configured_hash_is_sha256_of_the_utf8_bytes()
    {
        // printf '%s' abc | sha256sum
        ApiKeyRing.HashOf("abc").ShouldBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    public static TheoryData<string?, string?, string?> Headers => new()
    {
        { "key-1", null, "key-1" },
        { null, "Bearer key-2", "key-2" },
        { null, "bearer key-3", "key-3" },
        { " key-4 ", null, "key-4" },
        { "key-5", "Bearer other", "key-5" },
        { null, "Basic a2V5OnNlY3JldA==", null },
        { null, "Bearer ", null },
        { "", "", null },
        { null, null, null },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void The_key_is_read_from_x_api_key_else_from_a_bearer_authorization(string? apiKey, string? authorization, string? expected)
    {
        var headers = new HeaderDictionary();
        if (apiKey is not null)
        {
            headers["X-Api-Key"] = apiKey;
        }

        if (authorization is not null)
        {
            headers["Authorization"] = authorization;
        }

        ApiKeyAuthenticationHandler.ReadKey(headers).ShouldBe(expected);
    }

    private sealed class StaticOptions(GatewayOptions value) : IOptionsMonitor<GatewayOptions>
    {
        public GatewayOptions CurrentValue => value;

        public GatewayOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<GatewayOptions, string?> listener) => null;
    }
}
