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

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}
