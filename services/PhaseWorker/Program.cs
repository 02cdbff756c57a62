using RunMesh.Hosting;
using RunMesh.Hosting.Diagnostics;
using RunMesh.PhaseWorker.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("phase-worker");
builder.AddPhaseWorker();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMeshPing();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
