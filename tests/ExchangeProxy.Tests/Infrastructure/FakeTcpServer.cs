using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// A plain TCP backend on loopback for the layer-4 tests. It records a PROXY header if told one comes first, greets
/// with its name, then either echoes (Echo) or reads to the end and answers with the SHA-256 and length of
/// what it got (Hash: the client must half-close). <see cref="Kill"/> resets every connection, as a crash.
/// </summary>
public sealed class FakeTcpServer : IAsyncDisposable
{
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task _accepting;
    private int _connections;

    private readonly bool _proxyHeader;

    /// <param name="proxyHeader">Expect a PROXY header first (the proxy sends it as soon as it connects).</param>
    public FakeTcpServer(string name, FakeTcpMode mode, IPAddress address, int port = 0, bool proxyHeader = false)
    {
        Name = name;
        Mode = mode;
        _proxyHeader = proxyHeader;
        _listener = new TcpListener(address, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Name { get; }

    public FakeTcpMode Mode { get; }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public int Connections => Volatile.Read(ref _connections);

    public int Open => _open.Count;

    /// <summary>The PROXY headers received, as text (v1) or "v2 ip:port" (v2).</summary>
    public ConcurrentQueue<string> ProxyHeaders { get; } = new();

    /// <summary>A free port on both addresses, so two fakes on different loopback addresses share it.</summary>
    public static int FreePortOn(params IPAddress[] addresses)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var probe = new TcpListener(addresses[0], 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            if (addresses.Skip(1).All(a => IsFree(a, port)) || attempt == 20)
            {
                return port;
            }
        }
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Kill()
    {
        _listener.Stop();
        foreach (var socket in _open.Keys)
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _open[socket] = 0;
                _ = ServeAsync(socket);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var pending = _proxyHeader ? await ReadProxyHeaderAsync(stream) : [];
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Name + "\n"));
            if (Mode == FakeTcpMode.Echo)
            {
                if (pending.Length > 0)
                {
                    await stream.WriteAsync(pending);
                }

                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            }
            else
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                hash.AppendData(pending);
                long length = pending.Length;
                var buffer = new byte[16 * 1024];
                int read;
                while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    length += read;
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{Convert.ToHexString(hash.GetHashAndReset())} {length}\n"), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _open.TryRemove(socket, out _);
        }
    }

    /// <summary>Takes a PROXY header off the front if there is one; returns the bytes read past it.</summary>
    private async Task<byte[]> ReadProxyHeaderAsync(NetworkStream stream)
    {
        var buffer = new byte[256];
        var length = 0;
        while (length < 16)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), _stop.Token);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (length >= 6 && Encoding.ASCII.GetString(buffer, 0, 6) == "PROXY ")
        {
            while (Array.IndexOf(buffer, (byte)'\n', 0, length) < 0 && length < buffer.Length)
            {
                length += await stream.ReadAsync(buffer.AsMemory(length));
            }

            var end = Array.IndexOf(buffer, (byte)'\n', 0, length) + 1;
            ProxyHeaders.Enqueue(Encoding.ASCII.GetString(buffer, 0, end - 2));
            return buffer[end..length];
        }

        if (length >= 16 && buffer.AsSpan(0, 12).SequenceEqual(V2Signature))
        {
            var total = 16 + ((buffer[14] << 8) | buffer[15]);
            while (length < total)
            {
                length += await stream.ReadAsync(buffer.AsMemory(length));
            }

            var family = buffer[13] >> 4;
            var address = family == 1 ? new IPAddress(buffer.AsSpan(16, 4)) : new IPAddress(buffer.AsSpan(16, 16));
            var port = family == 1 ? (buffer[24] << 8) | buffer[25] : (buffer[48] << 8) | buffer[49];
            ProxyHeaders.Enqueue($"v2 {address}:{port}");
            return buffer[total..length];
        }

        return buffer[..length];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Kill();
        try
        {
            await _accepting;
        }
        catch (ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }
}

public enum FakeTcpMode
{
    Echo,
    Hash,
}
