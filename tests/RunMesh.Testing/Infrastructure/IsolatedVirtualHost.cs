using System.Net.Http.Headers;
using System.Text;

namespace RunMesh.Testing.Infrastructure;

/// <summary>A RabbitMQ virtual host on the shared broker, created for one test class and deleted afterwards.</summary>
public sealed class IsolatedVirtualHost : IAsyncDisposable
{
    private readonly HttpClient _management;

    private IsolatedVirtualHost(HttpClient management, string name, Uri amqpUrl)
    {
        _management = management;
        Name = name;
        AmqpUrl = amqpUrl;
    }

    /// <summary>The vhost name (<c>t-…</c>).</summary>
    public string Name { get; }

    /// <summary>An AMQP URI with the broker's credentials and this vhost.</summary>
    public Uri AmqpUrl { get; }

    /// <summary>Creates a vhost named after <paramref name="purpose"/> and grants the broker user full rights on it.</summary>
    public static async Task<IsolatedVirtualHost> CreateAsync(TestServers servers, string purpose)
    {
        var name = $"t-{purpose.ToLowerInvariant()}-{Guid.NewGuid():N}";
        var management = CreateManagementClient(servers);
        var user = Uri.UnescapeDataString(servers.RabbitMq.UserInfo.Split(':')[0]);

        await EnsureAsync(await management.PutAsync($"api/vhosts/{Uri.EscapeDataString(name)}", Json("{}")), "create vhost");
        await EnsureAsync(await management.PutAsync(
            $"api/permissions/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(user)}",
            Json("""{"configure":".*","write":".*","read":".*"}""")), "grant permissions");

        var amqp = new UriBuilder(servers.RabbitMq) { Path = "/" + Uri.EscapeDataString(name) }.Uri;
        return new IsolatedVirtualHost(management, name, amqp);
    }

    /// <summary>
    /// Creates <paramref name="user"/> on the broker when missing (no tags, its documented password) and gives it its
    /// permissions on this vhost; returns the AMQP URI of this vhost as that user.
    /// </summary>
    public async Task<Uri> GrantAsync(BrokerUser user)
    {
        var name = Uri.EscapeDataString(user.Name);
        using (var existing = await _management.GetAsync($"api/users/{name}"))
        {
            if (!existing.IsSuccessStatusCode)
            {
                using var created = await _management.PutAsync(
                    $"api/users/{name}", Json(System.Text.Json.JsonSerializer.Serialize(new { password = user.Password, tags = "" })));
                // Test classes of several processes create the same users at once: the broker answers all but the
                // first with 400 user_already_exists, which is the state wanted.
                if (!(created.StatusCode == System.Net.HttpStatusCode.BadRequest
                    && (await created.Content.ReadAsStringAsync()).Contains("user_already_exists", StringComparison.Ordinal)))
                {
                    await EnsureAsync(created, $"create user {user.Name}");
                }
            }
        }

        await EnsureAsync(await _management.PutAsync(
            $"api/permissions/{Uri.EscapeDataString(Name)}/{name}",
            Json(System.Text.Json.JsonSerializer.Serialize(new { configure = user.Configure, write = user.Write, read = user.Read }))),
            $"grant permissions to {user.Name}");
        return new UriBuilder(AmqpUrl) { UserName = Uri.EscapeDataString(user.Name), Password = Uri.EscapeDataString(user.Password) }.Uri;
    }

    /// <summary>The management tags of broker user <paramref name="user"/> (e.g. <c>administrator</c>).</summary>
    public async Task<IReadOnlyList<string>> UserTagsAsync(string user)
    {
        using var response = await _management.GetAsync($"api/users/{Uri.EscapeDataString(user)}");
        await EnsureAsync(response, "read a user");
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var tags = doc.RootElement.GetProperty("tags");
        return tags.ValueKind == System.Text.Json.JsonValueKind.Array
            ? [.. tags.EnumerateArray().Select(tag => tag.GetString()!)]
            : [.. (tags.GetString() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>The AMQP URI of this vhost with another host and port (e.g. a <see cref="TcpProxy"/>).</summary>
    public Uri Via(int port) => new UriBuilder(AmqpUrl) { Host = "127.0.0.1", Port = port }.Uri;

    /// <summary>How many messages wait in <paramref name="queue"/> of this vhost, or null when it does not exist.</summary>
    public async Task<long?> QueueDepthAsync(string queue)
    {
        using var response = await _management.GetAsync($"api/queues/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAsync(response, "read queue");
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.TryGetProperty("messages", out var messages) ? messages.GetInt64() : 0;
    }

    /// <summary>Every queue of this vhost with the number of messages it holds (ready and unacknowledged).</summary>
    public async Task<IReadOnlyDictionary<string, long>> QueueDepthsAsync()
    {
        using var response = await _management.GetAsync($"api/queues/{Uri.EscapeDataString(Name)}?columns=name,messages");
        await EnsureAsync(response, "list queues");
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.EnumerateArray().ToDictionary(
            queue => queue.GetProperty("name").GetString()!,
            queue => queue.TryGetProperty("messages", out var messages) && messages.ValueKind == System.Text.Json.JsonValueKind.Number ? messages.GetInt64() : 0);
    }

    /// <summary>
    /// The bodies of up to <paramref name="count"/> messages at the head of <paramref name="queue"/>, read through the
    /// management API and put back (requeued), as text (base64 when a body is not valid UTF-8).
    /// </summary>
    public async Task<IReadOnlyList<string>> PeekAsync(string queue, int count)
    {
        using var response = await _management.PostAsync(
            $"api/queues/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(queue)}/get",
            Json($$"""{"count":{{count}},"ackmode":"ack_requeue_true","encoding":"auto","truncate":50000}"""));
        await EnsureAsync(response, "peek at a queue");
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. doc.RootElement.EnumerateArray().Select(message => message.GetProperty("payload").GetString() ?? "")];
    }

    /// <summary>
    /// Where messages published to <paramref name="exchange"/> of this vhost go: the destinations of its bindings (for
    /// MassTransit, one exchange per subscribed endpoint, named like its queue).
    /// </summary>
    public async Task<IReadOnlyList<string>> BindingDestinationsAsync(string exchange)
    {
        using var response = await _management.GetAsync(
            $"api/exchanges/{Uri.EscapeDataString(Name)}/{Uri.EscapeDataString(exchange)}/bindings/source");
        await EnsureAsync(response, "read bindings");
        using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. doc.RootElement.EnumerateArray().Select(binding => binding.GetProperty("destination").GetString()!)];
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var response = await _management.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(Name)}");
        _management.Dispose();
    }

    private static HttpClient CreateManagementClient(TestServers servers)
    {
        var userInfo = Uri.UnescapeDataString(servers.RabbitMq.UserInfo);
        if (servers.RabbitMqManagement.UserInfo.Length > 0)
        {
            userInfo = Uri.UnescapeDataString(servers.RabbitMqManagement.UserInfo);
        }

        var client = new HttpClient
        {
            BaseAddress = new UriBuilder(servers.RabbitMqManagement) { UserName = "", Password = "", Path = "/" }.Uri,
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
        return client;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task EnsureAsync(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(
                $"RabbitMQ management API could not {what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
