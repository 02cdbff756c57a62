using RunMesh.Gateway.Extensions;
using RunMesh.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("gateway");
builder.AddGateway();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapReverseProxy();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
