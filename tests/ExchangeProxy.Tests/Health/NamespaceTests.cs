using System.Net;
using System.Text.Json;
using ExchangeProxy.Health;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Health;

/// <summary>
/// CAS servers as deployments have them: listed by IP, every one presenting the namespace certificate
/// (mail.contoso.test) from an internal authority the proxy is told to trust, and no AcceptAnyServerCertificate.
/// </summary>
public sealed class NamespaceTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _pki = new();
    private readonly TestCertificate _listener = new("mail.contoso.test");
    private FakeCasServer _exchange1 = null!;
    private FakeCasServer _exchange2 = null!;

    public async Task InitializeAsync()
    {
        _exchange1 = await FakeCasServer.StartAsync("exchange1", address: TestCertificateAuthority.CasAddresses[0],
            certificate: _pki.Issue("mail.contoso.test", "autodiscover.contoso.test"));
        _exchange2 = await FakeCasServer.StartAsync("exchange2", address: TestCertificateAuthority.CasAddresses[1],
            certificate: _pki.Issue("mail.contoso.test", "autodiscover.contoso.test"));
    }

    public async Task DisposeAsync()
    {
        await _exchange1.DisposeAsync();
        await _exchange2.DisposeAsync();
        _listener.Dispose();
        _pki.Dispose();
    }

    private ProxyConfig Config(params FakeCasServer[] servers)
    {
        var config = new ProxyConfig(_listener, servers);
        config.Section["AcceptAnyServerCertificate"] = false;
        config.Section["ServerCertificateAuthority"] = _pki.PemPath;
        return config;
    }

    private static async Task<Dictionary<string, JsonElement>> OwaRowsAsync(RunningProxy proxy)
    {
        using var admin = proxy.CreateAdminClient();
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("/;json"));
        return stats.RootElement.GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa")
            .GetProperty("servers").EnumerateArray().ToDictionary(r => r.GetProperty("server").GetString()!, r => r.Clone());
    }

    [Fact]
    public async Task Servers_listed_by_ip_are_probed_and_reached_by_the_namespace_of_the_listener_certificate()
    {
        Assert.StartsWith("https://127.0.0.3", _exchange1.Address, StringComparison.Ordinal);
        await using var proxy = await RunningProxy.StartAsync(Config(_exchange1, _exchange2));
        await ProbeRounds.FirstRoundAsync(proxy);

        Assert.All(proxy.Services.GetRequiredService<HealthStates>().All, s => Assert.Equal(ProbeState.Up, s.State));
        Assert.Contains($"Host: mail.contoso.test:{_exchange1.Port}", _exchange1.HealthCheckHosts);

        using var client = proxy.CreateClient();
        var servers = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/");
            request.Headers.Host = "mail.contoso.test";
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            servers.Add((await EchoResponse.ReadAsync(response)).Server);
        }

        Assert.Equal(["exchange1", "exchange2"], servers.Order());
        Assert.All((await OwaRowsAsync(proxy)).Values, row => Assert.Equal("UP", row.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task A_server_whose_certificate_another_authority_issued_is_down_with_the_reason_on_the_stats_page()
    {
        using var stranger = new TestCertificateAuthority("Someone Else's CA");
        await using var impostor = await FakeCasServer.StartAsync("exchange3", address: IPAddress.Parse("127.0.0.33"),
            certificate: stranger.Issue("mail.contoso.test"));
        await using var proxy = await RunningProxy.StartAsync(Config(_exchange1, impostor));
        await ProbeRounds.FirstRoundAsync(proxy);

        var rows = await OwaRowsAsync(proxy);
        Assert.Equal("UP", rows["exchange1"].GetProperty("state").GetString());
        Assert.Equal("DOWN", rows["exchange3"].GetProperty("state").GetString());
        Assert.StartsWith("TLS error", rows["exchange3"].GetProperty("checkResult").GetString(), StringComparison.Ordinal);
    }
}
