using RunMesh.Cli.Configuration;

namespace RunMesh.Cli.Commands;

/// <summary>Template and study definition files: their text and the media type their extension says.</summary>
internal static class Documents
{
    public static (string Text, string MediaType) Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            var extension = Path.GetExtension(path).ToLowerInvariant();
            return (text, extension is ".yaml" or ".yml" ? "application/yaml" : "application/json");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"Cannot read {path}: {exception.Message}");
        }
    }
}

/// <summary>Query strings from optional parameters (those without a value are left out).</summary>
internal static class Query
{
    public static string Of(string path, params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? path : $"{path}?{string.Join('&', present)}";
    }
}
