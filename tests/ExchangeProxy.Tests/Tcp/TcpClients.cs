using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExchangeProxy.Tests.Tcp;

/// <summary>A raw TCP client of a layer-4 listener, optionally from a chosen loopback address.</summary>
public sealed class TcpTestClient : IAsyncDisposable
{
    private readonly Socket _socket;

    private TcpTestClient(Socket socket)
    {
        _socket = socket;
        Stream = new NetworkStream(socket, ownsSocket: true);
    }

    public NetworkStream Stream { get; }

    public static async Task<TcpTestClient> ConnectAsync(IPEndPoint listener, IPAddress? from = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(listener);
        return new TcpTestClient(socket);
    }

    /// <summary>Reads one line (the fakes' greeting and answers end with \n); null when the connection ended.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await Stream.ReadAsync(one, deadline.Token) == 0)
            {
                return line.Length == 0 ? null : line.ToString();
            }

            if (one[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)one[0]);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        var buffer = new byte[count];
        await Stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    public Task WriteAsync(string text) => Stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>True once the other side has closed: a read returns 0 or fails.</summary>
    public async Task<bool> ClosedAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        try
        {
            while (await Stream.ReadAsync(buffer, deadline.Token) > 0)
            {
            }

            return true;
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync() => await Stream.DisposeAsync();
}
