using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Health;

/// <summary>
/// Days to expiry of the listener's certificate and of each CAS server's (as its probes saw it): the metric, the
/// stats page's data, and /health Degraded (never Unhealthy: traffic still flows) 30 days ahead.
/// </summary>
public sealed class CertificateExpiryTests : TwoCasServersTest
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);

    [Fact]
    public async Task A_cas_certificate_expiring_in_ten_days_is_a_metric_a_stats_warning_and_a_degraded_health_naming_it()
    {
        using var soon = new TestCertificate("exchange1.contoso.test", expiresIn: 10 * Day);
        await using var exchange1 = await FakeCasServer.StartAsync("exchange1", certificate: soon.Certificate);
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(Certificate, exchange1, Exchange2));
        await ProbeRounds.FirstRoundAsync(proxy);

        using var metric = new MetricReader(proxy, "certificate.expiry");
        await Eventually.TrueAsync(() => metric.Read("certificate=server", "name=exchange1") > 0, "the probes saw exchange1's certificate");
        Assert.InRange(metric.Read("certificate=server", "name=exchange1"), (10 * Day - TimeSpan.FromMinutes(5)).TotalSeconds, (10 * Day).TotalSeconds);
        Assert.True(metric.Read("certificate=server", "name=exchange2") > (300 * Day).TotalSeconds);
        Assert.True(metric.Read("certificate=listener", "name=Https") > (300 * Day).TotalSeconds);
        using var admin = proxy.CreateAdminClient();
        Assert.Matches(@"(?m)^exchangeproxy_certificate_expiry_seconds\{certificate=""server"",name=""exchange1""\} 86\d{4}$", await admin.GetStringAsync("/metrics"));

        var date = soon.Certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var health = await DetailedHealthAsync(proxy);
        Assert.Equal("Degraded", health["status"]!.GetValue<string>());
        Assert.Equal("Healthy", health["entries"]!["owa"]!["status"]!.GetValue<string>());
        var certificates = health["entries"]!["certificates"]!;
        Assert.Equal("Degraded", certificates["status"]!.GetValue<string>());
        Assert.Equal($"renew: exchange1's certificate CN=exchange1.contoso.test expires on {date} UTC, in 10 days",
            certificates["description"]!.GetValue<string>());
        Assert.Equal("Degraded", await PublicHealthAsync(proxy));

        var stats = JsonNode.Parse(await admin.GetStringAsync("/;json"))!["certificates"]!.AsArray();
        var due = Assert.Single(stats, c => c!["due"]!.GetValue<bool>())!;
        Assert.Equal("exchange1", due["name"]!.GetValue<string>());
        Assert.Equal(10, due["daysLeft"]!.GetValue<int>());
        Assert.Equal(["Https", "exchange1", "exchange2"], stats.Select(c => c!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_listener_certificate_expiring_in_ten_days_degrades_health_and_is_a_metric()
    {
        using var soon = new TestCertificate(expiresIn: 10 * Day);
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(soon, Exchange1, Exchange2));
        await ProbeRounds.FirstRoundAsync(proxy);

        using var metric = new MetricReader(proxy, "certificate.expiry");
        Assert.InRange(metric.Read("certificate=listener", "name=Https"), (10 * Day - TimeSpan.FromMinutes(5)).TotalSeconds, (10 * Day).TotalSeconds);
        var date = soon.Certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        var health = await DetailedHealthAsync(proxy);
        Assert.Equal("Degraded", health["status"]!.GetValue<string>());
        Assert.Equal($"renew: the listener's certificate CN=mail.contoso.test (Https) expires on {date} UTC, in 10 days",
            health["entries"]!["certificates"]!["description"]!.GetValue<string>());
        Assert.Equal("Degraded", await PublicHealthAsync(proxy));
        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Level == LogLevel.Warning
            && e.Message.Contains("the listener's certificate CN=mail.contoso.test (Https) expires on", StringComparison.Ordinal)),
            "the log says which certificate to renew, and by when");
    }

    [Fact]
    public async Task Healthy_while_every_certificate_has_more_than_thirty_days_then_degraded_as_the_clock_reaches_them_and_expired_past_them()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await RunningProxy.StartAsync(Config(), time);
        await ProbeRounds.FirstRoundAsync(proxy);
        using var metric = new MetricReader(proxy, "certificate.expiry");
        await Eventually.TrueAsync(() => metric.Read("certificate=server") > 0, "the probes saw both servers' certificates");

        var health = await DetailedHealthAsync(proxy);
        Assert.Equal("Healthy", health["status"]!.GetValue<string>());
        Assert.Equal("Healthy", health["entries"]!["certificates"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", await PublicHealthAsync(proxy));

        // 25 days before the listener's certificate expires (the servers' were made moments after it).
        time.Advance(Certificate.Certificate.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime - 25 * Day);
        Assert.Equal((25 * Day).TotalSeconds, metric.Read("certificate=listener", "name=Https"));
        health = await DetailedHealthAsync(proxy);
        Assert.Equal("Degraded", health["status"]!.GetValue<string>());
        var description = health["entries"]!["certificates"]!["description"]!.GetValue<string>();
        Assert.Contains("the listener's certificate CN=mail.contoso.test (Https) expires on", description, StringComparison.Ordinal);
        Assert.Contains("exchange1's certificate CN=exchange1.contoso.test expires on", description, StringComparison.Ordinal);
        Assert.Contains("exchange2's certificate CN=exchange2.contoso.test expires on", description, StringComparison.Ordinal);
        Assert.Equal("Degraded", await PublicHealthAsync(proxy));

        time.Advance(30 * Day);
        Assert.True(metric.Read("certificate=listener", "name=Https") < 0);
        health = await DetailedHealthAsync(proxy);
        Assert.Equal("Degraded", health["status"]!.GetValue<string>());
        Assert.Contains("the listener's certificate CN=mail.contoso.test (Https) expired on", health["entries"]!["certificates"]!["description"]!.GetValue<string>(),
            StringComparison.Ordinal);
    }

    private static async Task<JsonNode> DetailedHealthAsync(RunningProxy proxy)
    {
        using var admin = proxy.CreateAdminClient();
        using var response = await admin.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>What a load balancer or monitor in front sees on the public listener: 200 and the status word.</summary>
    private static async Task<string> PublicHealthAsync(RunningProxy proxy)
    {
        using var client = proxy.CreateClient();
        using var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }
}
