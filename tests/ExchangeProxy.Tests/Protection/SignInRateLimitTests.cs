using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Protection;

/// <summary>
/// Rate limits per client address: System.Threading.RateLimiting's fixed windows run on the real clock, so
/// the windows here are two seconds.
/// </summary>
public sealed class SignInRateLimitTests : TwoCasServersTest
{
    protected override bool WindowsAuth => true;

    private static async Task<HttpResponseMessage> PostLoginAsync(RunningProxy proxy, int client)
    {
        using var http = proxy.CreateClientFrom(IPAddress.Parse($"127.0.0.{client}"));
        return await http.PostAsync("/owa/auth.owa", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "contoso\\alice",
            ["password"] = "guess",
        }));
    }

    private static async Task<HttpResponseMessage> GetEwsAsync(RunningProxy proxy, int client)
    {
        using var http = proxy.CreateClientFrom(IPAddress.Parse($"127.0.0.{client}"));
        return await http.GetAsync("/EWS/Exchange.asmx");
    }

    [Fact]
    public async Task Form_sign_ins_over_the_limit_get_429_with_retry_after_per_client_and_recover()
    {
        var config = Config();
        config.Section["Protection"] = new JsonObject { ["FormLogins"] = new JsonObject { ["PermitLimit"] = 2, ["Window"] = "00:00:05" } };
        await using var proxy = await RunningProxy.StartAsync(config);

        Assert.Equal(HttpStatusCode.OK, (await PostLoginAsync(proxy, 2)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostLoginAsync(proxy, 2)).StatusCode);
        using var limited = await PostLoginAsync(proxy, 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 5);
        Assert.Equal(HttpStatusCode.OK, (await PostLoginAsync(proxy, 3)).StatusCode);
        using (var client = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.2")))
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
        }

        // Two sign-ins of .2, one of .3 and the GET reached a server; the refused one did not.
        Assert.Equal(4, Exchange1.Requests + Exchange2.Requests);
        Assert.Contains(proxy.Logs.Entries, e => e.Message.StartsWith("Rate limit \"FormLogins\" reached by", StringComparison.Ordinal)
            && e.Message.Contains("127.0.0.2", StringComparison.Ordinal));
        await Eventually.TrueAsync(async () => (await PostLoginAsync(proxy, 2)).StatusCode == HttpStatusCode.OK, "the window passes");
    }

    [Fact]
    public async Task Repeated_401s_on_windows_auth_services_lock_the_address_out_for_the_window()
    {
        var config = Config();
        config.Section["Protection"] = new JsonObject { ["Unauthorized"] = new JsonObject { ["PermitLimit"] = 3, ["Window"] = "00:00:05" } };
        await using var proxy = await RunningProxy.StartAsync(config);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetEwsAsync(proxy, 2)).StatusCode);
        }

        using var locked = await GetEwsAsync(proxy, 2);
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.NotNull(locked.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetEwsAsync(proxy, 3)).StatusCode);
        await Eventually.TrueAsync(async () => (await GetEwsAsync(proxy, 2)).StatusCode == HttpStatusCode.Unauthorized, "the window passes");
    }

    [Fact]
    public async Task Without_settings_there_is_no_limit()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());

        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PostLoginAsync(proxy, 2)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await GetEwsAsync(proxy, 2)).StatusCode);
        }
    }
}
