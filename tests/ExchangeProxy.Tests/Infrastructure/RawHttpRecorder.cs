using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// A plain-HTTP server on loopback that records the first line of every request head that reaches its socket and
/// answers each with 200, whatever the bytes: a real server would refuse some heads itself and hide whether a proxy
/// passed them on. Health probes (healthcheck.htm) are answered but not recorded.
/// </summary>
public sealed class RawHttpRecorder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public RawHttpRecorder()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The request lines received, probes left out.</summary>
    public ConcurrentQueue<string> RequestLines { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                connections.Add(ServeAsync(await _listener.AcceptSocketAsync(_stop.Token)));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            await Task.WhenAll(connections);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var received = new StringBuilder();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, _stop.Token)) > 0)
            {
                received.Append(Encoding.Latin1.GetString(buffer, 0, read));
                int end;
                while ((end = received.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
                {
                    var line = received.ToString(0, end).Split("\r\n")[0];
                    received.Remove(0, end + 4);
                    if (!line.Contains("healthcheck.htm", StringComparison.OrdinalIgnoreCase))
                    {
                        RequestLines.Enqueue(line);
                    }

                    await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(), _stop.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // Stopped, or the proxy closed the connection.
        }
    }
}
