using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// A small real SMTP server on loopback: greets with its banner, answers EHLO (multi-line 250), MAIL, RCPT,
/// DATA (keeping each message exactly as it arrived, up to the final dot) and QUIT.
/// </summary>
public sealed class FakeSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _sessions;

    /// <param name="address">Loopback by default; <see cref="IPAddress.IPv6Loopback"/> for a second server on the same port.</param>
    public FakeSmtpServer(string banner = "220 mail1.contoso.test Microsoft ESMTP MAIL Service ready", IPAddress? address = null, int port = 0)
    {
        Banner = banner;
        _listener = new TcpListener(address ?? IPAddress.Loopback, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Banner { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The DATA of each message, as sent (dot-stuffed, CRLF line ends), without the final ".".</summary>
    public ConcurrentQueue<byte[]> Messages { get; } = new();

    /// <summary>Sessions that ended with QUIT.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped: the listener ends the loop, whichever way the pending accept notices it.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            try
            {
                await writer.WriteLineAsync(Banner);
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.StartsWith("EHLO ", StringComparison.OrdinalIgnoreCase))
                    {
                        await writer.WriteLineAsync("250-mail1.contoso.test Hello");
                        await writer.WriteLineAsync("250-SIZE 37748736");
                        await writer.WriteLineAsync("250 STARTTLS");
                    }
                    else if (line.StartsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("RCPT TO:", StringComparison.OrdinalIgnoreCase))
                    {
                        await writer.WriteLineAsync("250 2.1.0 OK");
                    }
                    else if (line.Equals("DATA", StringComparison.OrdinalIgnoreCase))
                    {
                        await writer.WriteLineAsync("354 Start mail input; end with <CRLF>.<CRLF>");
                        var message = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } data && data != ".")
                        {
                            message.Append(data).Append("\r\n");
                        }

                        Messages.Enqueue(Encoding.ASCII.GetBytes(message.ToString()));
                        await writer.WriteLineAsync("250 2.6.0 Queued mail for delivery");
                    }
                    else if (line.Equals("QUIT", StringComparison.OrdinalIgnoreCase))
                    {
                        await writer.WriteLineAsync("221 2.0.0 Service closing transmission channel");
                        Interlocked.Increment(ref _sessions);
                        return;
                    }
                    else
                    {
                        await writer.WriteLineAsync("500 5.3.3 Unrecognized command");
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
