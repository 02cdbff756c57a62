using RunMesh.Cli;
using RunMesh.Cli.Output;

Terminal.Configure();
return await CommandLine.RunAsync(args);
