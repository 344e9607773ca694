using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// One check of one server: an HTTPS GET expecting 200, a complete TLS handshake, an SMTP greeting, or a TCP
/// connect. Every failure becomes a result with a short reason; none throws.
/// </summary>
public sealed class Probes : IDisposable
{
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Authority, ServerTls Tls), HttpMessageInvoker> _clients = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ObservedCertificate> _certificates = new(StringComparer.OrdinalIgnoreCase);

    public Probes(TimeProvider time) => _time = time;

    /// <summary>The certificate a server (host:port) last presented to a probe.</summary>
    public ObservedCertificate? CertificateOf(Uri server) => _certificates.GetValueOrDefault(server.Authority);

    /// <param name="tls">How the server is reached over TLS: the namespace asked for and validated, and whom to trust.</param>
    public async Task<ProbeResult> CheckAsync(CheckSettings check, Uri server, ServerTls tls, CancellationToken stopping)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(check.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        string? failure;
        try
        {
            failure = check.Type switch
            {
                CheckType.Http => await HttpAsync(check, server, tls, linked.Token),
                CheckType.TlsHello => await TlsHelloAsync(server.Host, check.Port ?? server.Port, tls, linked.Token),
                CheckType.Smtp => await SmtpProbe.CheckAsync(server.Host, check.Port ?? server.Port, linked.Token),
                CheckType.Tcp => await TcpAsync(server.Host, check.Port ?? server.Port, linked.Token),
                _ => null,
            };
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = $"timeout after {check.Timeout.TotalSeconds:0.#} s";
        }
        catch (SocketException e)
        {
            failure = Describe(e);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException socket)
        {
            failure = Describe(socket);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException handshake)
        {
            failure = "TLS error: " + handshake.Message;
        }
        catch (System.Security.Authentication.AuthenticationException e)
        {
            failure = "TLS error: " + e.Message;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            failure = e.Message;
        }

        var latency = _time.GetElapsedTime(started);
        return new ProbeResult(failure is null, failure ?? Success(check), latency, _time.GetUtcNow());
    }

    /// <summary>A failed connect in a few words, as probes and live traffic's log lines say it: "refused", or the socket error.</summary>
    public static string Describe(SocketException e) =>
        e.SocketErrorCode == SocketError.ConnectionRefused ? "refused" : e.SocketErrorCode.ToString();

    private static string Success(CheckSettings check) => check.Type switch
    {
        CheckType.Http => "200 from " + check.Path,
        CheckType.TlsHello => "TLS handshake",
        CheckType.Smtp => "220, EHLO 250",
        _ => "connected",
    };

    private async Task<string?> HttpAsync(CheckSettings check, Uri server, ServerTls tls, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server, check.Path))
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        // The Host a client reaching Exchange by its namespace sends; the handler asks for it (SNI) and validates it.
        request.Headers.Host = server.IsDefaultPort ? tls.Name : $"{tls.Name}:{server.Port}";
        var client = _clients.GetOrAdd((server.Authority, tls), static (key, probes) => probes.Client(key.Authority, key.Tls), this);
        using var response = await client.SendAsync(request, cancellationToken);
        return (int)response.StatusCode == 200 ? null : $"{(int)response.StatusCode} from {check.Path}";
    }

    private async Task<string?> TlsHelloAsync(string host, int port, ServerTls settings, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken);
        await using var tls = new SslStream(client.GetStream());
        await tls.AuthenticateAsClientAsync(settings.ClientOptions(), cancellationToken);
        if (tls.RemoteCertificate is { } certificate)
        {
            _certificates[$"{host}:{port}"] = ObservedCertificate.Of(certificate);
        }

        return null;
    }

    private static async Task<string?> TcpAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken);
        return null;
    }

    /// <summary>One client per server, so each handshake is known to be that server's.</summary>
    private HttpMessageInvoker Client(string authority, ServerTls tls)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            // A probe should see a server that went away, not a pooled connection that outlived it.
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
            ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator(),
        };
        handler.SslOptions.CertificateChainPolicy = tls.Authorities?.ChainPolicy();
        // Each handshake tells the certificate the server presents (for the Extended Protection check and its expiry).
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is not null)
            {
                _certificates[authority] = ObservedCertificate.Of(certificate);
            }

            return tls.AcceptAnyCertificate || errors == SslPolicyErrors.None;
        };
        return new HttpMessageInvoker(handler);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
