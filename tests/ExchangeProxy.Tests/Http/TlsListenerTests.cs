using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

public sealed class TlsListenerTests : TwoCasServersTest
{
    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task The_listener_terminates_tls_with_the_pfx_certificate_for_http1_and_http2(string version)
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        X509Certificate? presented = null;
        using var client = proxy.CreateClient(Version.Parse(version), handler =>
        {
            var pin = handler.SslOptions.RemoteCertificateValidationCallback!;
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                presented = certificate;
                return pin(sender, certificate, chain, errors);
            };
        });

        using var response = await client.GetAsync("/owa/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Version.Parse(version), response.Version);
        Assert.Equal(Certificate.Certificate.GetCertHashString(), presented!.GetCertHashString());
    }

    [Fact]
    public async Task The_listener_takes_a_pem_certificate_and_key()
    {
        var config = Config();
        config.Root["Kestrel"]!["Endpoints"]!["Https"]!["Certificate"] = new JsonObject
        {
            ["Path"] = Certificate.PemPath,
            ["KeyPath"] = Certificate.PemKeyPath,
        };
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/mapi/emsmdb")).StatusCode);
    }

    [Fact]
    public async Task A_self_signed_backend_is_refused_unless_its_service_accepts_it_explicitly()
    {
        var config = Config();
        config.Section["AcceptAnyServerCertificate"] = false;
        config.Service("ecp", new JsonObject { ["AcceptAnyServerCertificate"] = true });
        // Unprobed, so the request itself meets the certificate; the probes' verdict is in the next test.
        config.Service("owa", new JsonObject { ["Check"] = new JsonObject { ["Type"] = "None" } });
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        using var strict = await client.GetAsync("/owa/");
        Assert.Equal(HttpStatusCode.BadGateway, strict.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ecp/")).StatusCode);
    }

    [Fact]
    public async Task Probes_take_a_backend_with_an_untrusted_certificate_out_and_say_why()
    {
        var config = Config();
        config.Section["AcceptAnyServerCertificate"] = false;
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        await Eventually.TrueAsync(async () => (await client.GetAsync("/owa/")).StatusCode == HttpStatusCode.ServiceUnavailable,
            "OWA refuses once both servers are DOWN");
        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains("is DOWN for \"owa\": \"TLS error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_proxy_never_names_itself_in_a_server_header()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();

        using var notFound = await client.GetAsync("/nothing-here");
        Assert.False(notFound.Headers.Contains("Server"));
        using var health = await client.GetAsync("/health/live");
        Assert.False(health.Headers.Contains("Server"));
    }
}
