using System.Net;
using System.Net.Sockets;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>A real redis-server on a loopback port, without persistence; it can be killed and started again on the same port.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private ProxyProcess? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var server = new RedisServer(((IPEndPoint)probe.LocalEndpoint).Port);
        probe.Stop();
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        _process = ProxyProcess.Start("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"]);
        await _process.WaitForOutputAsync("Ready to accept connections", TimeSpan.FromSeconds(20));
    }

    /// <summary>SIGKILL, as a crash or an OOM kill would end it.</summary>
    public async Task KillAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync() => await KillAsync();
}
