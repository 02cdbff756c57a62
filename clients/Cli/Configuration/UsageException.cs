namespace RunMesh.Cli.Configuration;

/// <summary>The command cannot run as given (a missing URL, an unreadable file, a malformed <c>key=value</c>): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
