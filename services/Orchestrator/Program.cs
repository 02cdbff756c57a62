using RunMesh.Hosting;
using RunMesh.Hosting.Diagnostics;
using RunMesh.Orchestrator.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("orchestrator");
builder.AddOrchestrator();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMeshPing();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
