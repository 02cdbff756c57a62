using RunMesh.Hosting;
using RunMesh.Hosting.Diagnostics;
using RunMesh.Report.Extensions;
using RunMesh.Report.Reports.Api;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("report");
builder.AddReport();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMeshPing();
app.MapReportsApi();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
