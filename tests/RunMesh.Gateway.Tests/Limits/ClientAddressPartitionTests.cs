using System.Net;
using RunMesh.Gateway.Limits;

namespace RunMesh.Gateway.Tests.Limits;

/// <summary>Which requests share a per-address bucket: one IPv4 address, or one IPv6 /64.</summary>
public sealed class ClientAddressPartitionTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("::1", "::/64")]
    public void An_address_counts_against_its_bucket(string address, string partition) =>
        ClientAddressRateLimitMiddleware.PartitionOf(IPAddress.Parse(address)).ShouldBe(partition);

    [Fact]
    public void Two_hosts_of_one_ipv6_64_share_a_bucket_and_other_64s_do_not()
    {
        var first = ClientAddressRateLimitMiddleware.PartitionOf(IPAddress.Parse("2001:db8:1:2::1"));

        ClientAddressRateLimitMiddleware.PartitionOf(IPAddress.Parse("2001:db8:1:2::ffff")).ShouldBe(first);
        ClientAddressRateLimitMiddleware.PartitionOf(IPAddress.Parse("2001:db8:1:3::1")).ShouldNotBe(first);
    }
}
