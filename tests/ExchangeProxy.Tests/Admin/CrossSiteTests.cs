using System.Net;
using System.Text.Json;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ExchangeProxy.Tests.Admin;

/// <summary>
/// A page on another site, opened in a real headless Chromium, tries to drain a server through the default admin
/// listener (loopback, no key): by a form post, and by script. Neither gets through; the stats page's own buttons do.
/// </summary>
public sealed class CrossSiteTests : TwoCasServersTest
{
    [Fact]
    public async Task A_page_on_another_site_cannot_drain_a_server_through_the_browser()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        var drain = new Uri(proxy.AdminAddress!, "/api/servers/exchange1/drain");
        await using var evil = await StartSiteAsync($$"""
            <!doctype html><title>cat pictures</title>
            <iframe name="sink"></iframe>
            <form method="POST" action="{{drain}}" target="sink" enctype="text/plain"><input name="x" value="1"></form>
            <script>
              document.forms[0].submit();
              fetch("{{drain}}", { method: "POST", mode: "no-cors", headers: { "X-ExchangeProxy-Admin": "1" } });
              fetch("{{drain}}", { method: "POST", headers: { "X-ExchangeProxy-Admin": "1" } }).catch(() => {});
            </script>
            """);
        await using var chromium = await HeadlessChromium.StartAsync();

        await chromium.NavigateAsync(evil.Address);

        // The form post and the no-cors fetch arrive (without the header, which no-cors drops); the fetch that asks
        // for the header needs a preflight the listener never grants, so it is never sent.
        await Eventually.TrueAsync(
            () => proxy.Logs.Entries.Count(e => e.Message.StartsWith("Admin listener refused \"POST\"", StringComparison.Ordinal)) >= 2,
            "the admin listener refuses the page's posts");
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains(evil.Address.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal));
        using var admin = proxy.CreateAdminClient();
        Assert.Equal("ready", await AdminStateAsync(admin, "owa", "exchange1"));

        // The stats page itself, same origin and with its header, still drains.
        await chromium.NavigateAsync(proxy.AdminAddress!);
        await Eventually.TrueAsync(() => chromium.TrueAsync("document.querySelector('section[data-service=\"owa\"] tr[data-server=\"exchange1\"] button[data-action=\"drain\"]') !== null"),
            "the stats page shows its buttons");
        await chromium.EvaluateAsync("document.querySelector('section[data-service=\"owa\"] tr[data-server=\"exchange1\"] button[data-action=\"drain\"]').click()");
        await Eventually.TrueAsync(async () => await AdminStateAsync(admin, "owa", "exchange1") == "drain", "the stats page's own button drains");
    }

    [Fact]
    public async Task Scripts_need_the_header_and_a_rebound_dns_name_is_not_the_loopback_listener()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var bare = new HttpClient { BaseAddress = proxy.AdminAddress };

        using var refused = await bare.PostAsync("/api/servers/exchange1/drain", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("X-ExchangeProxy-Admin", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, "/api/servers/exchange1/maint");
        sameOrigin.Headers.Add("Origin", proxy.AdminAddress!.GetLeftPart(UriPartial.Authority));
        Assert.Equal(HttpStatusCode.OK, (await bare.SendAsync(sameOrigin)).StatusCode);

        // evil.example resolving to 127.0.0.1 makes its page same-origin with the listener; its Host gives it away.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/;json");
        rebound.Headers.Host = $"evil.example:{proxy.AdminAddress!.Port}";
        Assert.Equal(HttpStatusCode.Forbidden, (await bare.SendAsync(rebound)).StatusCode);
        using var health = new HttpRequestMessage(HttpMethod.Get, "/health");
        health.Headers.Host = $"evil.example:{proxy.AdminAddress!.Port}";
        Assert.Equal(HttpStatusCode.OK, (await bare.SendAsync(health)).StatusCode);
        using var localhost = new HttpRequestMessage(HttpMethod.Get, "/;json");
        localhost.Headers.Host = $"localhost:{proxy.AdminAddress!.Port}";
        Assert.Equal(HttpStatusCode.OK, (await bare.SendAsync(localhost)).StatusCode);
    }

    private static async Task<string?> AdminStateAsync(HttpClient admin, string service, string server)
    {
        var servers = JsonDocument.Parse(await admin.GetStringAsync("/api/servers")).RootElement;
        return servers.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == service)
            .GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == server).GetProperty("admin").GetString();
    }

    private static async Task<Site> StartSiteAsync(string html)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse("127.0.0.2"), 0));
        var app = builder.Build();
        app.MapGet("/", () => Results.Content(html, "text/html"));
        await app.StartAsync();
        return new Site(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/"));
    }

    private sealed record Site(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
