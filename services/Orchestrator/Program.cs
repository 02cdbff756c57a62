using RunMesh.Hosting;
using RunMesh.Hosting.Diagnostics;
using RunMesh.Orchestrator.Extensions;
using RunMesh.Orchestrator.Runs.Api;
using RunMesh.Orchestrator.Templates;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("orchestrator");
builder.AddOrchestrator();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMeshPing();
app.MapRunQueriesApi();
app.MapRunCommandsApi();
app.MapTemplatesApi();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
