using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Protection;

public sealed class EdgeProtectionTests : TwoCasServersTest
{
    public static TheoryData<string, string, string?> Exploits => new()
    {
        // Microsoft's final ProxyNotShell rule: autodiscover and powershell anywhere in the decoded URI.
        { "ProxyNotShell", "/autodiscover/autodiscover.json?@evil.com/PowerShell/?X-Rps-CAT=x", null },
        { "ProxyNotShell", "/autodiscover/autodiscover.json?@evil.com/%50owerShell/", null },
        { "ProxyNotShell", "/autodiscover/autodiscover.json?@evil.com/%2550owerShell/", null },
        { "ProxyNotShell", "/%2561utodiscover/x?q=power%2573hell", null },
        // ProxyShell: autodiscover.json, then @.
        { "ProxyShell", "/autodiscover/autodiscover.json?@evil.com/mapi/nspi/?&Email=autodiscover/autodiscover.json%3F@evil.com", null },
        { "ProxyShell", "/autodiscover/autodiscover.json?%40evil.com/mapi/nspi", null },
        { "ProxyShell", "/autodiscover/autodiscover%252Ejson?%2540evil.com/mapi/nspi", null },
        // ProxyLogon's cookies.
        { "ProxyLogonAnonResource", "/owa/auth/x.js", "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3" },
        { "ProxyLogonAnonResource", "/owa/auth/x.js", "X-AnonResource-%42ackend=localhost/ecp/default.flt?~3" },
        { "ProxyLogonBEResource", "/ecp/y.js", "X-BEResource=localhost/owa/auth/logon.aspx?~1942062522" },
        { "ProxyLogonBEResource", "/ecp/y.js", "X-BEResource=localhost%2Fowa%2Fauth%2Flogon.aspx?~1942062522" },
        { "ProxyLogonBEResource", "/ecp/y.js", "X-BEResource=localhost%252Fowa%252Fauth%252Flogon.aspx?~1942062522" },
    };

    [Theory]
    [MemberData(nameof(Exploits))]
    public async Task Known_exploit_shapes_are_refused_in_raw_and_encoded_forms_before_any_server_sees_them(string rule, string target, string? cookie)
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var blocked = new MetricReader(proxy, "protection.blocked");
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync($"GET {target} HTTP/1.1\r\nHost: mail.contoso.test\r\n" + (cookie is null ? "" : $"Cookie: {cookie}\r\n") + "\r\n");

        Assert.StartsWith("HTTP/1.1 403", await client.ReadHeadAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        Assert.Equal(0, Exchange1.Requests + Exchange2.Requests);
        Assert.Equal(1, blocked.Read($"rule={rule}"));
        using var admin = proxy.CreateAdminClient();
        var stats = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/;json")).RootElement;
        Assert.Equal(1, stats.GetProperty("refusedAtTheEdge").GetProperty(rule).GetInt64());
        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.StartsWith($"Refused \"{rule}\" from", StringComparison.Ordinal) && e.Message.Contains("127.0.0.1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Legitimate_autodiscover_powershell_and_owa_traffic_goes_through()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();

        using var autodiscover = await client.PostAsync("/Autodiscover/Autodiscover.xml",
            new StringContent("<Autodiscover><Request><EMailAddress>alice@contoso.com</EMailAddress></Request></Autodiscover>"));
        Assert.Equal(HttpStatusCode.OK, autodiscover.StatusCode);
        using var json = await client.GetAsync("/autodiscover/autodiscover.json/v1.0/alice@contoso.com?Protocol=ActiveSync");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        using var powershell = await client.GetAsync("/PowerShell/?serializationLevel=Full");
        Assert.Equal(HttpStatusCode.OK, powershell.StatusCode);
        using var owa = new HttpRequestMessage(HttpMethod.Get, "/owa/");
        owa.Headers.Add("Cookie", "X-OWA-CANARY=abc; X-BackEndCookie=S-1-5-21=u56Lnp2ejJqBzc3JyZ7IyM7SxsjHyw==");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(owa)).StatusCode);
        Assert.Equal(4, Exchange1.Requests + Exchange2.Requests);
    }

    [Fact]
    public async Task An_operators_own_rule_can_abort_the_connection()
    {
        var config = Config();
        config.Section["Protection"] = new JsonObject
        {
            ["Rules"] = new JsonObject
            {
                ["scanners"] = new JsonObject { ["Target"] = "Header:User-Agent", ["Pattern"] = "sqlmap|nikto", ["Action"] = "Abort" },
                ["ProxyNotShell"] = new JsonObject { ["Enabled"] = false },
            },
        };
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        using var scanner = new HttpRequestMessage(HttpMethod.Get, "/owa/");
        scanner.Headers.UserAgent.ParseAdd("sqlmap/1.7");
        await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(scanner));
        // Switched off: the same shape passes (to the fake, which answers anything).
        using var allowed = await client.GetAsync("/autodiscover/x?q=powershell");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Internal_only_paths_answer_internal_clients_and_refuse_the_others()
    {
        var config = Config();
        config.Section["TrustedProxies"] = new JsonArray("127.0.0.9");
        config.Section["Protection"] = new JsonObject
        {
            ["InternalOnly"] = new JsonObject { ["/ecp"] = new JsonArray("127.0.0.2/32", "10.0.0.0/8"), ["/PowerShell"] = new JsonArray("127.0.0.2") },
        };
        await using var proxy = await RunningProxy.StartAsync(config);

        using var inside = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.2"));
        using var outside = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.3"));
        Assert.Equal(HttpStatusCode.OK, (await inside.GetAsync("/ecp/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await inside.GetAsync("/PowerShell/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await outside.GetAsync("/ecp/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await outside.GetAsync("/%65cp/")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await outside.GetAsync("/PowerShell")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await outside.GetAsync("/owa/")).StatusCode);

        // Behind a trusted relay, the client it names decides.
        using var relay = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.9"));
        Assert.Equal(HttpStatusCode.OK, (await SendForwardedAsync(relay, "10.1.2.3")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendForwardedAsync(relay, "203.0.113.8")).StatusCode);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains("reachable from any address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_ecp_and_powershell_are_warned_about_at_start()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());

        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("\"/ecp\" is reachable from any address", StringComparison.Ordinal));
        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("\"/PowerShell\" is reachable from any address", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_40_KB_header_passes_and_a_request_with_both_lengths_cannot_smuggle_a_second_one()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();
        using var kerberos = new HttpRequestMessage(HttpMethod.Get, "/EWS/Exchange.asmx");
        kerberos.Headers.TryAddWithoutValidation("Authorization", "Negotiate " + new string('A', 40 * 1024));
        using var big = await client.SendAsync(kerberos);
        Assert.Equal(HttpStatusCode.OK, big.StatusCode);
        Assert.Equal(40 * 1024 + "Negotiate ".Length, (await EchoResponse.ReadAsync(big)).Header("Authorization")!.Length);
        Assert.Equal(1, Exchange1.Requests + Exchange2.Requests);

        // Kestrel reads such a request by Transfer-Encoding (RFC 9112 6.3), drops its Content-Length and closes
        // the connection after answering, so the bytes after the chunked body never become a request.
        await using var raw = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);
        await raw.WriteHeadAsync("POST /owa/service.svc HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\nGET /owa/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = await raw.ReadHeadAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        await Eventually.TrueAsync(() => Exchange1.Requests + Exchange2.Requests == 2, "the POST reached a server");
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains("/owa/smuggled", StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> SendForwardedAsync(HttpClient client, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/ecp/");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }
}
