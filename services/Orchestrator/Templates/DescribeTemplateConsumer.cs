using System.Text.Json.Nodes;
using MassTransit;
using RunMesh.Contracts;

namespace RunMesh.Orchestrator.Templates;

/// <summary>
/// Answers <see cref="DescribeTemplate"/> (the planner asks it before a study starts): the template's identity and
/// its <c>inputs.schema</c>, or which versions its name has. Reads only; no inbox or outbox is needed.
/// </summary>
internal sealed class DescribeTemplateConsumer(TemplateRegistry templates) : IConsumer<DescribeTemplate>
{
    /// <summary>The consumer's queue.</summary>
    public const string EndpointName = "describe-template";

    public async Task Consume(ConsumeContext<DescribeTemplate> context)
    {
        var reference = context.Message.Template;
        if (await templates.FindAsync(reference, context.CancellationToken) is { } template)
        {
            await context.RespondAsync(new TemplateDescription
            {
                Found = true,
                Template = new TemplateRef { Name = template.Name, Version = template.Version, Hash = template.Hash },
                InputsSchema = template.InputSchema is { } schema ? JsonNode.Parse(schema.Json.GetRawText())!.AsObject() : null,
            });
            return;
        }

        var versions = await templates.VersionsOfNameAsync(reference, context.CancellationToken);
        await context.RespondAsync(new TemplateDescription { Found = false, VersionsOfName = versions });
    }
}
