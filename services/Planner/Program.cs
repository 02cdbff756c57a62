using RunMesh.Hosting;
using RunMesh.Hosting.Diagnostics;
using RunMesh.Planner.Extensions;
using RunMesh.Planner.Studies.Api;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("planner");
builder.AddPlanner();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMeshPing();
app.MapStudiesApi();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
