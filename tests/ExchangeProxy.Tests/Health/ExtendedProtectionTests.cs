using System.Text.Json;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Health;

/// <summary>The probes compare the certificate each CAS server presents with the listener's (Extended Protection).</summary>
public sealed class ExtendedProtectionTests : IAsyncLifetime
{
    private readonly TestCertificate _certificate = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _certificate.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_server_with_a_certificate_other_than_the_listeners_is_warned_about_and_one_with_the_same_is_not()
    {
        await using var own = await FakeCasServer.StartAsync("exchange1");
        await using var same = await FakeCasServer.StartAsync("exchange2", certificate: _certificate.Certificate);
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, own, same));
        await ProbeRounds.FirstRoundAsync(proxy);

        var warning = Assert.Single(proxy.Logs.Entries, e => e.Message.StartsWith("\"exchange1\" breaks Extended Protection", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains(_certificate.Certificate.Thumbprint, warning.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.StartsWith("\"exchange2\" breaks", StringComparison.Ordinal));

        // In /health's detail, as a warning: the server stays usable and /health stays Healthy.
        using var admin = proxy.CreateAdminClient();
        using var health = await admin.GetAsync("/health");
        var root = JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", root.GetProperty("status").GetString());
        var servers = root.GetProperty("entries").GetProperty("owa").GetProperty("data").GetProperty("servers").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.Contains("Extended Protection needs the same one", servers["exchange1"].GetProperty("warning").GetString(), StringComparison.Ordinal);
        Assert.False(servers["exchange2"].TryGetProperty("warning", out _));
    }
}
