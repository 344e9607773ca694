using System.Net;
using System.Net.Sockets;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Health;

/// <summary>Each check type against real listeners on loopback.</summary>
public sealed class ProbeTests : TwoCasServersTest, IDisposable
{
    private readonly Probes _probes = new(TimeProvider.System);

    private static CheckSettings Check(CheckType type, string path = "/owa/healthcheck.htm", int? port = null) =>
        new(type, path, port, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), 2, 3);

    private Task<ProbeResult> RunAsync(CheckSettings check, string address, bool acceptAny = true) =>
        _probes.CheckAsync(check, new Uri(address), new ServerTls(new Uri(address).Host, acceptAny, null), CancellationToken.None);

    [Fact]
    public async Task Http_expects_200_from_the_virtual_directorys_healthcheck()
    {
        var ok = await RunAsync(Check(CheckType.Http), Exchange1.Address);
        Assert.True(ok.Ok, ok.Detail);
        Assert.Equal("200 from /owa/healthcheck.htm", ok.Detail);

        Exchange1.SetHealthCheck("owa", 503);
        var failed = await RunAsync(Check(CheckType.Http), Exchange1.Address);
        Assert.False(failed.Ok);
        Assert.Equal("503 from /owa/healthcheck.htm", failed.Detail);
        Assert.True(failed.Latency > TimeSpan.Zero);
    }

    [Fact]
    public async Task Http_refuses_an_untrusted_certificate_unless_told_to_accept_it()
    {
        var strict = await RunAsync(Check(CheckType.Http), Exchange1.Address, acceptAny: false);
        Assert.False(strict.Ok);
        Assert.StartsWith("TLS error", strict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_listed_by_ip_is_checked_against_the_namespace_and_the_configured_authority()
    {
        using var pki = new TestCertificateAuthority();
        using var other = new TestCertificateAuthority("Someone Else's CA");
        var authorities = CertificateAuthorities.Load(pki.PemPath, out _)!;
        var strangers = CertificateAuthorities.Load(other.PemPath, out _)!;
        await using var cas = await FakeCasServer.StartAsync("exchange3", address: TestCertificateAuthority.CasAddresses[0],
            certificate: pki.Issue("mail.contoso.test", "autodiscover.contoso.test"));

        foreach (var type in new[] { CheckType.Http, CheckType.TlsHello })
        {
            var trusted = await _probes.CheckAsync(Check(type), new Uri(cas.Address), new ServerTls("mail.contoso.test", false, authorities), CancellationToken.None);
            Assert.True(trusted.Ok, trusted.Detail);

            var byAddress = await _probes.CheckAsync(Check(type), new Uri(cas.Address), new ServerTls("127.0.0.31", false, authorities), CancellationToken.None);
            Assert.False(byAddress.Ok);
            Assert.Contains("TLS error", byAddress.Detail, StringComparison.Ordinal);

            var untrusted = await _probes.CheckAsync(Check(type), new Uri(cas.Address), new ServerTls("mail.contoso.test", false, strangers), CancellationToken.None);
            Assert.False(untrusted.Ok);
            Assert.Contains("TLS error", untrusted.Detail, StringComparison.Ordinal);
        }

        Assert.Contains("Host: mail.contoso.test:", string.Join('\n', cas.HealthCheckHosts), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_hello_completes_a_handshake_and_fails_on_a_listener_that_speaks_no_tls()
    {
        var ok = await RunAsync(Check(CheckType.TlsHello), Exchange1.Address);
        Assert.True(ok.Ok, ok.Detail);

        await using var smtp = new FakeSmtpServer();
        var plain = await RunAsync(Check(CheckType.TlsHello, port: smtp.Port), Exchange1.Address);
        Assert.False(plain.Ok);
        Assert.Contains("TLS", plain.Detail, StringComparison.OrdinalIgnoreCase);

        var untrusted = await RunAsync(Check(CheckType.TlsHello), Exchange1.Address, acceptAny: false);
        Assert.False(untrusted.Ok);
        Assert.StartsWith("TLS error", untrusted.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smtp_reads_the_banner_says_ehlo_expects_250_and_quits()
    {
        await using var smtp = new FakeSmtpServer();
        var ok = await RunAsync(Check(CheckType.Smtp, port: smtp.Port), "https://127.0.0.1/");
        Assert.True(ok.Ok, ok.Detail);
        await Eventually.TrueAsync(() => smtp.Sessions == 1, "the check said QUIT");

        smtp.Banner = "554 5.7.1 Service unavailable";
        var refused = await RunAsync(Check(CheckType.Smtp, port: smtp.Port), "https://127.0.0.1/");
        Assert.False(refused.Ok);
        Assert.Equal("greeting 554 5.7.1 Service unavailable", refused.Detail);
    }

    [Fact]
    public async Task Tcp_connects_and_a_closed_port_is_refused()
    {
        Assert.True((await RunAsync(Check(CheckType.Tcp), Exchange1.Address)).Ok);

        var closed = await RunAsync(Check(CheckType.Tcp, port: ClosedPort()), Exchange1.Address);
        Assert.False(closed.Ok);
        Assert.Equal("refused", closed.Detail);
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;

        var result = await _probes.CheckAsync(Check(CheckType.Http) with { Timeout = TimeSpan.FromMilliseconds(300) },
            new Uri($"https://127.0.0.1:{port}/"), new ServerTls("127.0.0.1", AcceptAnyCertificate: true, null), CancellationToken.None);

        Assert.False(result.Ok);
        Assert.Equal("timeout after 0.3 s", result.Detail);
    }

    public void Dispose() => _probes.Dispose();

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
