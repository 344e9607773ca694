using System.Net;
using System.Net.Sockets;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>HAProxy from the Debian package, in the foreground, on a loopback port, as the reference for what a proxy does with the same bytes.</summary>
public sealed class HaproxyProcess : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/haproxy";

    private readonly ProxyProcess _process;
    private readonly string _directory;

    private HaproxyProcess(ProxyProcess process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <param name="configuration">The configuration; <c>{port}</c> in it is replaced by the port HAProxy listens on.</param>
    public static async Task<HaproxyProcess> StartAsync(string configuration)
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: tests/run.sh installs the Debian haproxy package");
        var port = FakeTcpServer.FreePortOn(IPAddress.Loopback);
        var directory = Directory.CreateTempSubdirectory("exproxy-haproxy-").FullName;
        var path = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(path, configuration.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + "\n");
        var process = ProxyProcess.Start(Executable, ["-db", "-f", path]);
        var haproxy = new HaproxyProcess(process, directory, port);
        try
        {
            await Eventually.TrueAsync(() => process.HasExited || Accepts(port), "HAProxy listens", TimeSpan.FromSeconds(20));
            Assert.False(process.HasExited, $"HAProxy exited: {process.Stderr}");
            return haproxy;
        }
        catch
        {
            await haproxy.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
