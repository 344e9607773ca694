using System.Net;
using System.Text.Json;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Admin;

/// <summary>The stats page in a real headless Chromium: rows, states, a drain click, and a screenshot kept as an artifact.</summary>
public sealed class StatsPageBrowserTests : TwoCasServersTest
{
    public static string ScreenshotPath => Path.Combine(Repository.Root, "TestResults", "stats-page.png");

    public static string CertificatesScreenshotPath => Path.Combine(Repository.Root, "TestResults", "stats-page-certificates.png");

    [Fact]
    public async Task The_page_shows_both_servers_taking_traffic_and_drains_one_on_a_click()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using (var client = proxy.CreateClient())
        {
            for (var i = 0; i < 10; i++)
            {
                using var response = await client.GetAsync("/owa/");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        await ProbeRounds.FirstRoundAsync(proxy);
        await using var chromium = await HeadlessChromium.StartAsync();
        await chromium.NavigateAsync(proxy.AdminAddress!);

        const string OwaRows = "document.querySelectorAll('section[data-service=\"owa\"] tr.server')";
        await Eventually.TrueAsync(() => chromium.TrueAsync($"{OwaRows}.length === 2"), "the OWA table has its two servers");
        var cells = await chromium.EvaluateAsync(
            $"[...{OwaRows}].map(r => [...r.cells].slice(0, 10).map(c => c.innerText.trim()))");
        var rows = cells!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToDictionary(r => r[0]);
        Assert.Equal("UP", rows["exchange1"][1]);
        Assert.Equal("UP", rows["exchange2"][1]);
        Assert.Equal("5", rows["exchange1"][9]);
        Assert.Equal("5", rows["exchange2"][9]);
        Assert.StartsWith("Http: 200 from /owa/healthcheck.htm", rows["exchange1"][2], StringComparison.Ordinal);
        Assert.True(await chromium.TrueAsync("document.body.innerText.includes('ExchangeProxy statistics')"));

        await chromium.EvaluateAsync(
            "document.querySelector('section[data-service=\"owa\"] tr[data-server=\"exchange1\"] button[data-action=\"drain\"]').click()");
        await Eventually.TrueAsync(
            () => chromium.TrueAsync("document.querySelector('section[data-service=\"owa\"] tr[data-server=\"exchange1\"] .state').innerText === 'DRAIN'"),
            "the page shows exchange1 draining for OWA");
        using var admin = proxy.CreateAdminClient();
        var servers = JsonDocument.Parse(await admin.GetStringAsync("/api/servers")).RootElement;
        var owa = servers.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa");
        Assert.Equal("drain", owa.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "exchange1").GetProperty("admin").GetString());
        var ews = servers.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "ews");
        Assert.Equal("ready", ews.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "exchange1").GetProperty("admin").GetString());

        // A runtime weight typed into exchange2's OWA row: 0 takes no new clients, shown as DRAIN with weight 0.
        const string Exchange2 = "document.querySelector('section[data-service=\"owa\"] tr[data-server=\"exchange2\"]')";
        await chromium.EvaluateAsync(
            $"(r => {{ r.querySelector('input.weight').value = '0'; r.querySelector('button[data-action=\"weight\"]').click(); }})({Exchange2})");
        await Eventually.TrueAsync(
            () => chromium.TrueAsync($"(r => r.querySelector('.state').innerText === 'DRAIN' && r.cells[6].innerText.trim() === '0')({Exchange2})"),
            "the page shows exchange2 at weight 0 for OWA");
        var maintenance = proxy.Services.GetRequiredService<ExchangeProxy.Admin.MaintenanceStates>();
        Assert.Equal(0, maintenance.WeightOf("owa", "exchange2", 1));
        Assert.Equal(1, maintenance.WeightOf("ews", "exchange2", 1));

        var png = await chromium.ScreenshotAsync();
        Assert.True(png.AsSpan(1, 3).SequenceEqual("PNG"u8));
        Directory.CreateDirectory(Path.GetDirectoryName(ScreenshotPath)!);
        await File.WriteAllBytesAsync(ScreenshotPath, png);
    }

    [Fact]
    public async Task A_certificate_due_for_renewal_is_a_visible_warning_with_its_date()
    {
        using var soon = new TestCertificate("exchange1.contoso.test", expiresIn: TimeSpan.FromDays(10));
        await using var exchange1 = await FakeCasServer.StartAsync("exchange1", certificate: soon.Certificate);
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(Certificate, exchange1, Exchange2));
        await ProbeRounds.FirstRoundAsync(proxy);
        await using var chromium = await HeadlessChromium.StartAsync();
        await chromium.NavigateAsync(proxy.AdminAddress!);

        const string Warning = "document.getElementById('certificate-warning')";
        // Until the page has loaded the element is not there yet: that is a wait, not a failure.
        await Eventually.TrueAsync(() => chromium.TrueAsync($"{Warning}?.innerText.includes(\"exchange1's certificate\") === true"),
            "the page warns of exchange1's certificate");
        var date = soon.Certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await chromium.TrueAsync($"{Warning}.innerText.includes('{date} UTC, in 10 days')"));
        // Shown, not merely present: it takes room on the page.
        Assert.True(await chromium.TrueAsync($"{Warning}.getBoundingClientRect().height > 0"));
        Assert.False(await chromium.TrueAsync($"{Warning}.innerText.includes('exchange2')"));
        const string Rows = "document.querySelectorAll('#certificates tr[data-name]')";
        var cells = await chromium.EvaluateAsync($"[...{Rows}].map(r => [r.className, ...[...r.cells].map(c => c.innerText.trim())])");
        var rows = cells!.AsArray().Select(r => r!.AsArray().Select(c => c!.GetValue<string>()).ToArray()).ToDictionary(r => r[2]);
        Assert.Equal(["due", "server", "exchange1", "CN=exchange1.contoso.test", soon.Certificate.Thumbprint, date, "10"], rows["exchange1"]);
        Assert.Equal("fine", rows["exchange2"][0]);
        Assert.Equal("fine", rows["Https"][0]);
        Assert.Equal("listener", rows["Https"][1]);

        var png = await chromium.ScreenshotAsync();
        Directory.CreateDirectory(Path.GetDirectoryName(CertificatesScreenshotPath)!);
        await File.WriteAllBytesAsync(CertificatesScreenshotPath, png);
    }
}
