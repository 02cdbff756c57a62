using System.ComponentModel;
using RunMesh.Cli.Api;
using RunMesh.Cli.Configuration;
using RunMesh.Cli.Output;
using Spectre.Console.Cli;

namespace RunMesh.Cli.Commands;

public sealed class TemplateRegisterSettings : MeshSettings
{
    [CommandArgument(0, "<file>")]
    [Description("The template, JSON or YAML (by its extension: .yaml/.yml is YAML).")]
    public string File { get; set; } = "";
}

/// <summary><c>templates register &lt;file&gt;</c>: POST /api/templates (admin).</summary>
public sealed class TemplateRegisterCommand : MeshCommand<TemplateRegisterSettings>
{
    protected override string Role => "admin";

    private protected override async Task<int> RunAsync(MeshClient client, TemplateRegisterSettings settings, CancellationToken cancellationToken)
    {
        var (text, mediaType) = Documents.Read(settings.File);
        var answer = await client.PostDocumentAsync("/api/templates", text, mediaType, cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
        }
        else
        {
            var template = answer.Object;
            Terminal.Line($"{(answer.Status == 201 ? "registered" : "already registered")} "
                + $"{Terminal.Str(template["name"])}@{Terminal.Str(template["version"])} {Terminal.Str(template["hash"])}");
        }

        return ExitCodes.Success;
    }
}

public sealed class TemplateListSettings : MeshSettings
{
    [CommandOption("--limit <N>")]
    [Description("At most this many (1–200).")]
    public int? Limit { get; set; }
}

/// <summary><c>templates list</c>: GET /api/templates.</summary>
public sealed class TemplateListCommand : MeshCommand<TemplateListSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, TemplateListSettings settings, CancellationToken cancellationToken)
    {
        var answer = await client.GetAsync(Query.Of("/api/templates", ("limit", settings.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))), cancellationToken);
        if (settings.Json)
        {
            Terminal.Json(answer.Text);
            return ExitCodes.Success;
        }

        var table = Terminal.Table("template", "version", "hash", "registered");
        foreach (var item in answer.Object["items"]!.AsArray())
        {
            table.Row(Terminal.Str(item?["name"]), Terminal.Str(item?["version"]), Terminal.Str(item?["hash"]), Terminal.When(item?["createdAt"]));
        }

        Terminal.Write(table);
        return ExitCodes.Success;
    }
}

public sealed class TemplateShowSettings : MeshSettings
{
    [CommandArgument(0, "<template>")]
    [Description("name@version")]
    public string Template { get; set; } = "";
}

/// <summary><c>templates show name@version</c>: GET /api/templates/{name}/{version}.</summary>
public sealed class TemplateShowCommand : MeshCommand<TemplateShowSettings>
{
    protected override string Role => "viewer";

    private protected override async Task<int> RunAsync(MeshClient client, TemplateShowSettings settings, CancellationToken cancellationToken)
    {
        var at = settings.Template.LastIndexOf('@');
        if (at <= 0 || at == settings.Template.Length - 1)
        {
            throw new UsageException($"A template is named name@version; got '{settings.Template}'.");
        }

        var answer = await client.GetAsync(
            $"/api/templates/{Segment(settings.Template[..at])}/{Segment(settings.Template[(at + 1)..])}", cancellationToken);
        Terminal.Json(settings.Json ? answer.Text : Terminal.Pretty(answer.Json));
        return ExitCodes.Success;
    }
}
