using RunMesh.Approval.Api;
using RunMesh.Approval.Extensions;
using RunMesh.Hosting;
using RunMesh.Hosting.Diagnostics;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("approval");
builder.AddApproval();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMeshPing();
app.MapApprovalsApi();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
