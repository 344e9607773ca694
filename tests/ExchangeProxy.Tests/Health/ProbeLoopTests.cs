using System.Text.Json;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Health;

/// <summary>The probes follow what the configuration and the certificate files say now, not what they said at start.</summary>
public sealed class ProbeLoopTests : TwoCasServersTest
{
    [Fact]
    public async Task A_server_moved_by_a_reload_is_probed_at_its_new_address_within_one_interval()
    {
        var config = Config();
        config.Section["Servers"]!.AsArray().RemoveAt(1);
        await using var proxy = await RunningProxy.StartAsync(config);
        await ProbeRounds.FirstRoundAsync(proxy);
        Assert.Empty(Exchange2.HealthCheckHosts);

        config.Section["Servers"]![0]!["Address"] = Exchange2.Address;
        config.WriteTo(proxy.ConfigPath);

        // The default interval is 2 s; a moved loop starts again at once, with a probe.
        await Eventually.TrueAsync(() => Exchange2.HealthCheckHosts.Count >= 9, "every service probes exchange1 at its new address",
            TimeSpan.FromSeconds(5));
        var before = Exchange1.HealthCheckHosts.Count;
        using var client = proxy.CreateClient();
        Assert.Equal("exchange2", (await EchoResponse.ReadAsync(await client.GetAsync("/owa/"))).Server);

        // Two more rounds at the new address, and none at the old one: no loop was left behind.
        await Eventually.TrueAsync(() => Exchange2.HealthCheckHosts.Count >= 27, "two more rounds at the new address");
        Assert.Equal(before, Exchange1.HealthCheckHosts.Count);
    }

    [Fact]
    public async Task A_renewed_listener_certificate_is_what_the_extended_protection_check_compares_with()
    {
        using var exchangeCertificate = new TestCertificate();
        await using var renewed = await FakeCasServer.StartAsync("exchange1", certificate: exchangeCertificate.Certificate);
        await using var old = await FakeCasServer.StartAsync("exchange2", certificate: Certificate.Certificate);
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(Certificate, renewed, old));
        await ProbeRounds.FirstRoundAsync(proxy);
        Assert.Equal(["exchange1"], await WarnedAsync(proxy));

        // The renewal: the certificate Exchange now presents replaces the listener's file (written whole, then renamed).
        var temporary = Certificate.PfxPath + ".new";
        File.Copy(exchangeCertificate.PfxPath, temporary);
        File.Move(temporary, Certificate.PfxPath, overwrite: true);

        await Eventually.TrueAsync(async () => (await WarnedAsync(proxy)).SequenceEqual(["exchange2"]),
            "the check compares with the renewed certificate");
        await Eventually.TrueAsync(async () => await proxy.ListenerThumbprintAsync() == exchangeCertificate.Certificate.Thumbprint,
            "the listener presents the renewed certificate");
    }

    private static async Task<string[]> WarnedAsync(RunningProxy proxy)
    {
        using var admin = proxy.CreateAdminClient();
        using var health = JsonDocument.Parse(await admin.GetStringAsync("/health"));
        return [.. health.RootElement.GetProperty("entries").GetProperty("owa").GetProperty("data").GetProperty("servers").EnumerateArray()
            .Where(s => s.TryGetProperty("warning", out _)).Select(s => s.GetProperty("name").GetString()!).Order()];
    }
}
