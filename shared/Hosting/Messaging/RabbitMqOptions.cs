using System.ComponentModel.DataAnnotations;

namespace RunMesh.Hosting.Messaging;

/// <summary>Where the service's broker is: configuration section <c>RabbitMq</c>.</summary>
public sealed class RabbitMqOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RabbitMq";

    /// <summary>
    /// The broker and virtual host as an AMQP URI, e.g. <c>amqp://runmesh:runmesh@127.0.0.1:5672/runmesh</c>
    /// (the path is the vhost; empty or <c>%2f</c> means <c>/</c>).
    /// </summary>
    [Required]
    public string Url { get; set; } = "";

    /// <summary>How many messages each receive endpoint fetches ahead (RabbitMQ prefetch).</summary>
    [Range(1, 10_000)]
    public ushort PrefetchCount { get; set; } = 32;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps" or "rabbitmq"))
        {
            yield return new ValidationResult(
                "RabbitMq:Url must be an absolute amqp:// URI such as amqp://user:password@127.0.0.1:5672/vhost.",
                [nameof(Url)]);
        }
    }

    /// <summary>The parts of <see cref="Url"/>, with the vhost decoded.</summary>
    public BrokerAddress Parse()
    {
        var uri = new Uri(Url);
        var userInfo = uri.UserInfo.Split(':', 2);
        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        return new BrokerAddress(
            Host: uri.Host,
            Port: uri.IsDefaultPort || uri.Port <= 0 ? 5672 : uri.Port,
            VirtualHost: vhost.Length == 0 ? "/" : vhost,
            Username: userInfo.Length > 0 && userInfo[0].Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : "guest",
            Password: userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : "guest",
            UseTls: uri.Scheme == "amqps");
    }
}

/// <summary>A broker connection, parsed from an AMQP URI.</summary>
public sealed record BrokerAddress(string Host, int Port, string VirtualHost, string Username, string Password, bool UseTls);
