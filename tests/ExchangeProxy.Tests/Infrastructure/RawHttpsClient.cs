using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// HTTP/1.1 written by hand over TLS, for what HttpClient will not do: announce a 1 GB body and send a part
/// of it, or wait for "100 Continue" before sending the body.
/// </summary>
public sealed class RawHttpsClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;

    private RawHttpsClient(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    public Stream Stream => _tls;

    public static async Task<RawHttpsClient> ConnectAsync(Uri address, TestCertificate trusted)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        var hash = trusted.Certificate.GetCertHashString();
        var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate?.GetCertHashString() == hash);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "mail.contoso.test",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        });
        return new RawHttpsClient(tcp, tls);
    }

    public async Task WriteHeadAsync(string head) =>
        await _tls.WriteAsync(Encoding.ASCII.GetBytes(head.ReplaceLineEndings("\r\n") + "\r\n"));

    /// <summary>Reads up to the end of a response head (the blank line), with a deadline.</summary>
    public async Task<string> ReadHeadAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await _tls.ReadAsync(one, deadline.Token) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    /// <summary>Reads a whole response: its head, then its body by Content-Length or chunks (a 1xx has none).</summary>
    public async Task<(string Head, string Body)> ReadResponseAsync(TimeSpan timeout)
    {
        var head = await ReadHeadAsync(timeout);
        using var deadline = new CancellationTokenSource(timeout);
        var body = new StringBuilder();
        if (head.StartsWith("HTTP/1.1 1", StringComparison.Ordinal))
        {
            return (head, "");
        }

        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            int size;
            while ((size = Convert.ToInt32((await ReadLineAsync(deadline.Token)).Split(';')[0], 16)) > 0)
            {
                body.Append(await ReadExactlyAsync(size, deadline.Token));
                await ReadLineAsync(deadline.Token);
            }

            await ReadLineAsync(deadline.Token);
        }
        else if (System.Text.RegularExpressions.Regex.Match(head, @"Content-Length: (\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase) is { Success: true } length)
        {
            body.Append(await ReadExactlyAsync(int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), deadline.Token));
        }

        return (head, body.ToString());
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            await _tls.ReadExactlyAsync(one, cancellationToken);
            line.Append((char)one[0]);
        }

        return line.ToString()[..^2];
    }

    private async Task<string> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        await _tls.ReadExactlyAsync(bytes, cancellationToken);
        return Encoding.ASCII.GetString(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}
