using System.IO.Pipelines;
using System.Net.Sockets;
using ExchangeProxy.Statistics;
using Microsoft.AspNetCore.Connections;

namespace ExchangeProxy.Tcp;

/// <summary>
/// The full-duplex byte pump between a client connection (Kestrel's pipes) and a server socket. Client to
/// server: what the client sent goes out as it is read, straight from the pipe's buffers; when the client
/// shuts down its sending side the server's is shut down too, and the server's answer still flows back.
/// Server to client: the socket receives straight into the client pipe's memory, taken only once data is there:
/// one pool block (<see cref="Hosting.LargeBlockMemoryPool"/>) after a pause, then 64 KB at a time while reads fill
/// their buffer (16 KB cost a tenth more CPU per megabyte). An idle session waits with an empty read and holds no
/// buffer. No buffer is allocated per read. The
/// session ends on either side's close, an error, or an idle timeout, and then closes both sides.
/// </summary>
public sealed class TcpSession(IDuplexPipe client, Socket server, ServerCounters counters, TimeSpan clientTimeout, TimeSpan serverTimeout, TimeProvider time)
    : IDisposable
{
    private const int ReceiveSize = 64 * 1024;

    private readonly CancellationTokenSource _abort = new();
    private readonly long _clientTimeoutTicks = (long)(clientTimeout.TotalSeconds * time.TimestampFrequency);
    private readonly long _serverTimeoutTicks = (long)(serverTimeout.TotalSeconds * time.TimestampFrequency);
    private long _lastActivity = time.GetTimestamp();
    private int _serverTurn;
    private int _termination = -1;

    /// <summary>The pool (listener or SNI namespace) the session belongs to.</summary>
    public required string Pool { get; init; }

    /// <summary>The server the session was connected to.</summary>
    public required string Server { get; init; }

    public long BytesIn { get; private set; }

    public long BytesOut { get; private set; }

    public TcpTermination Termination => (TcpTermination)Math.Max(0, Volatile.Read(ref _termination));

    public async Task RunAsync(CancellationToken stopping)
    {
        using var stop = stopping.Register(static s => ((TcpSession)s!).End(TcpTermination.Shutdown), this);
        var upstream = ClientToServerAsync();
        var downstream = ServerToClientAsync();
        var first = await Task.WhenAny(upstream, downstream);
        if (first == downstream)
        {
            // The server finished or failed: nothing more will reach the client, so the session is over.
            End(downstream.Result);
        }

        await Task.WhenAll(upstream, downstream);
        End(TcpTermination.ClientClosed);
        await client.Output.CompleteAsync();
        await client.Input.CompleteAsync();
        server.Dispose();
    }

    public void Dispose() => _abort.Dispose();

    /// <summary>Called by the sweeper: ends the session when the side whose turn it is has been silent too long.</summary>
    public void CheckIdle(long now)
    {
        var silent = now - Interlocked.Read(ref _lastActivity);
        if (Volatile.Read(ref _serverTurn) == 1 ? silent > _serverTimeoutTicks : silent > _clientTimeoutTicks)
        {
            End(Volatile.Read(ref _serverTurn) == 1 ? TcpTermination.ServerTimeout : TcpTermination.ClientTimeout);
        }
    }

    private async Task<TcpTermination> ClientToServerAsync()
    {
        var input = client.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_abort.Token);
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    await server.SendAsync(segment, SocketFlags.None, _abort.Token);
                }

                if (!buffer.IsEmpty)
                {
                    BytesIn += buffer.Length;
                    Interlocked.Add(ref counters.BytesIn, buffer.Length);
                    Touch(serverTurn: 1);
                }

                input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    // Half-close: the server sees the end of the client's data and can still answer.
                    server.Shutdown(SocketShutdown.Send);
                    Touch(serverTurn: 1);
                    return TcpTermination.ClientClosed;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return TcpTermination.Shutdown;
        }
        catch (SocketException)
        {
            End(TcpTermination.ServerError);
            return TcpTermination.ServerError;
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException)
        {
            End(TcpTermination.ClientError);
            return TcpTermination.ClientError;
        }
    }

    private async Task<TcpTermination> ServerToClientAsync()
    {
        var output = client.Output;
        try
        {
            var filled = false;
            while (true)
            {
                if (!filled)
                {
                    // An idle session holds no buffer: wait for data with an empty read first, as Kestrel does.
                    // While a transfer fills every read, more is waiting and the extra system call is skipped.
                    await server.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _abort.Token);
                }

                var memory = output.GetMemory(filled ? ReceiveSize : 1);
                var received = await server.ReceiveAsync(memory, SocketFlags.None, _abort.Token);
                if (received == 0)
                {
                    return TcpTermination.ServerClosed;
                }

                filled = received == memory.Length;

                output.Advance(received);
                BytesOut += received;
                Interlocked.Add(ref counters.BytesOut, received);
                Touch(serverTurn: 0);
                var flush = await output.FlushAsync(_abort.Token);
                if (flush.IsCompleted)
                {
                    return TcpTermination.ClientClosed;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return TcpTermination.Shutdown;
        }
        catch (SocketException)
        {
            return TcpTermination.ServerError;
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException)
        {
            return TcpTermination.ClientError;
        }
    }

    private void Touch(int serverTurn)
    {
        Interlocked.Exchange(ref _lastActivity, time.GetTimestamp());
        Volatile.Write(ref _serverTurn, serverTurn);
    }

    /// <summary>Ends the session now, as the operator asked.</summary>
    public void Kill() => End(TcpTermination.Killed);

    /// <summary>Records the first reason and stops both directions.</summary>
    private void End(TcpTermination reason)
    {
        if (Interlocked.CompareExchange(ref _termination, (int)reason, -1) == -1)
        {
            try
            {
                _abort.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
