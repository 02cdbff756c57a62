using RunMesh.Gateway.ApiDocuments;
using RunMesh.Gateway.Extensions;
using RunMesh.Gateway.Sessions;
using RunMesh.Gateway.WebConsole;
using RunMesh.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults("gateway");
builder.AddGateway();

var app = builder.Build();

app.UseGatewayAdmission();
app.UseConsole();
app.MapDefaultEndpoints();
app.UseGatewayLimits();
app.MapSessionApi();
app.MapApiDocuments();
app.MapGatewayProxy();

app.Run();

/// <summary>Entry point, visible to the tests.</summary>
public partial class Program;
