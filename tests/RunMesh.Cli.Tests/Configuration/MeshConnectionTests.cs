using RunMesh.Cli.Configuration;

namespace RunMesh.Cli.Tests.Configuration;

public sealed class MeshConnectionTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("runmesh-cli-config-");
    private readonly Dictionary<string, string> _environment = [];

    public MeshConnectionTests()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, ".runmesh"));
        File.WriteAllText(Path.Combine(_root.FullName, ".runmesh", "env"), """
            # written by mesh.sh
            RUNMESH_URL=http://127.0.0.1:5800
            RUNMESH_ADMIN_KEY=rm_admin_file
            RUNMESH_SUBMITTER_KEY=rm_submitter_file
            export RUNMESH_APPROVER_KEY="rm_approver_file"
            RUNMESH_VIEWER_KEY='rm_viewer_file'
            RUNMESH_AMQP_URL=amqp://x:y@127.0.0.1:5672/runmesh
            """);
    }

    private string Nested => Directory.CreateDirectory(Path.Combine(_root.FullName, "a", "b")).FullName;

    private MeshConnection Resolve(string? url = null, string? key = null, string? role = null, string commandRole = "viewer", string? directory = null) =>
        MeshConnection.Resolve(url, key, role, commandRole, name => _environment.GetValueOrDefault(name), directory ?? Nested);

    [Fact]
    public void The_env_file_of_a_parent_directory_gives_the_url_and_the_key_of_the_role_the_command_needs()
    {
        var connection = Resolve(commandRole: "submitter");

        connection.Url.ShouldBe(new Uri("http://127.0.0.1:5800"));
        connection.ApiKey.ShouldBe("rm_submitter_file");
    }

    [Theory]
    [InlineData("viewer", "rm_viewer_file")]
    [InlineData("approver", "rm_approver_file")]
    [InlineData("admin", "rm_admin_file")]
    public void As_picks_that_roles_key_from_the_env_file(string role, string expected) =>
        Resolve(role: role, commandRole: "submitter").ApiKey.ShouldBe(expected);

    [Fact]
    public void The_environment_wins_over_the_env_file_and_options_win_over_both()
    {
        _environment["RUNMESH_URL"] = "http://127.0.0.1:6000";
        _environment["RUNMESH_API_KEY"] = "rm_from_environment";

        var fromEnvironment = Resolve(commandRole: "admin");
        fromEnvironment.Url.ShouldBe(new Uri("http://127.0.0.1:6000"));
        fromEnvironment.ApiKey.ShouldBe("rm_from_environment");

        var fromOptions = Resolve(url: "http://127.0.0.1:7000", key: "rm_from_option", role: "viewer");
        fromOptions.Url.ShouldBe(new Uri("http://127.0.0.1:7000"));
        fromOptions.ApiKey.ShouldBe("rm_from_option");
    }

    [Fact]
    public void As_beats_RUNMESH_API_KEY_and_reads_a_role_key_from_the_environment_first()
    {
        _environment["RUNMESH_API_KEY"] = "rm_from_environment";
        _environment["RUNMESH_VIEWER_KEY"] = "rm_viewer_environment";

        Resolve(role: "viewer").ApiKey.ShouldBe("rm_viewer_environment");
    }

    [Fact]
    public void Without_a_url_anywhere_it_is_a_usage_error_that_says_where_a_url_comes_from()
    {
        var elsewhere = Directory.CreateTempSubdirectory("runmesh-cli-none-");
        try
        {
            var error = Should.Throw<UsageException>(() => Resolve(directory: elsewhere.FullName));
            error.Message.ShouldContain("RUNMESH_URL");
        }
        finally
        {
            elsewhere.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(null, null, "root", "--as must be one of")]
    [InlineData("ftp://host", null, null, "absolute http(s) URL")]
    [InlineData("not a url", null, null, "absolute http(s) URL")]
    public void Bad_options_are_usage_errors(string? url, string? key, string? role, string message) =>
        Should.Throw<UsageException>(() => Resolve(url, key, role)).Message.ShouldContain(message);

    [Fact]
    public void As_a_role_without_a_key_is_a_usage_error_naming_the_variable()
    {
        File.WriteAllText(Path.Combine(_root.FullName, ".runmesh", "env"), "RUNMESH_URL=http://127.0.0.1:5800\n");

        Should.Throw<UsageException>(() => Resolve(role: "admin")).Message.ShouldContain("RUNMESH_ADMIN_KEY");
    }

    [Fact]
    public void Without_any_key_the_request_goes_without_one()
    {
        File.WriteAllText(Path.Combine(_root.FullName, ".runmesh", "env"), "RUNMESH_URL=http://127.0.0.1:5800\n");

        Resolve().ApiKey.ShouldBeNull();
    }

    public void Dispose() => _root.Delete(recursive: true);
}
