using System.Runtime.Versioning;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// The app published once for a test class, as deploy/systemd/exchangeproxy.service's header publishes it, in a
/// folder other users may read (the unit runs it as a dedicated user).
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class PublishedApp : IAsyncLifetime
{
    public const string UnitPath = "deploy/systemd/exchangeproxy.service";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    private readonly string _root = Directory.CreateTempSubdirectory("exproxy-published-").FullName;

    public string Folder => Path.Combine(_root, "app");

    public string Dll => Path.Combine(Folder, "ExchangeProxy.dll");

    public async Task InitializeAsync()
    {
        Chmod(_root, "755");
        var line = File.ReadAllLines(Repository.PathOf(UnitPath))
            .Select(l => l.TrimStart('#', ' '))
            .Single(l => l.StartsWith("dotnet publish ", StringComparison.Ordinal));
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["-o", "/opt/exchangeproxy"], words[^2..]);
        await using var build = ProxyProcess.Start("dotnet", [.. words[1..^1], Folder], Repository.Root);
        Assert.True(await build.ExitCodeAsync(Timeout) == 0, build.Stdout + build.Stderr);
    }

    /// <summary>chmod with the octal mode.</summary>
    public static void Chmod(string path, string mode) => File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}
