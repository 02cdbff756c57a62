namespace RunMesh.Gateway.Sessions;

/// <summary>The session directory holds key material: it is created readable by the gateway's user alone.</summary>
internal static class SessionDirectories
{
    public static void CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
