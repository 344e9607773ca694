using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Protection;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Protection;

public sealed class EdgeProtectionTests(Xunit.Abstractions.ITestOutputHelper output) : TwoCasServersTest
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
    public async Task A_40_KB_header_passes_and_a_request_with_both_lengths_is_refused_before_anything_is_forwarded()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();
        using var kerberos = new HttpRequestMessage(HttpMethod.Get, "/EWS/Exchange.asmx");
        kerberos.Headers.TryAddWithoutValidation("Authorization", "Negotiate " + new string('A', 40 * 1024));
        using var big = await client.SendAsync(kerberos);
        Assert.Equal(HttpStatusCode.OK, big.StatusCode);
        Assert.Equal(40 * 1024 + "Negotiate ".Length, (await EchoResponse.ReadAsync(big)).Header("Authorization")!.Length);
        Assert.Equal(1, Exchange1.Requests + Exchange2.Requests);

        // RFC 9112 6.3 lets a server read such a request by its chunked encoding; a proxy refusing it leaves no
        // room for a server that reads the other length.
        await using var raw = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);
        await raw.WriteHeadAsync("POST /owa/service.svc HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\nGET /owa/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        var head = await raw.ReadHeadAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 400", head, StringComparison.Ordinal);
        Assert.Contains("Connection: close", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, Exchange1.Requests + Exchange2.Requests);
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("both Content-Length and Transfer-Encoding", StringComparison.Ordinal));
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains("/owa/smuggled", StringComparison.Ordinal));
    }

    /// <summary>Raw target, then what the server must receive; null: refused (403 from InternalOnly, or 400), and the server receives nothing.</summary>
    public static TheoryData<string, string?> PathForms => new()
    {
        { "/./ecp/", null },
        { "/owa/../ecp/", null },
        { "/%2e/ecp/", null },
        { "/%2E%2E/ecp/", null },
        { "/owa/.%2e/ecp/", null },
        { "/owa/..%2fecp/", null },
        { "/owa/..%2Fecp/", null },
        { "/owa/..%5cecp/", null },
        { "/owa/%5c..%5cecp/", null },
        { "/owa/%252e%252e/ecp/", null },
        { "/owa/..%252fecp/", null },
        { "/owa\\..\\ecp/", null },
        { "//ecp/", null },
        { "/%2Fecp/", null },
        { "/%65cp/", null },
        { "/%2565cp/", null },
        { "/ECP/", null },
        { "/owa/x/./y/../z", "/owa/x/z" },
        { "/owa/a%2Fb%2Bc%3D?id=x%2Fy", "/owa/a%2Fb%2Bc%3D?id=x%2Fy" },
        { "/owa/%41%7e%2e%2E.x/", "/owa/%41%7e%2e%2E.x/" },
        { "/owa\\x\\y", "/owa/x/y" },
        { "/owa//x", "/owa/x" },
        { "/ecp/../owa/", "/owa/" },
        { "/EWS/Exchange.asmx", "/EWS/Exchange.asmx" },
    };

    [Theory]
    [MemberData(nameof(PathForms))]
    public async Task Every_form_of_a_path_is_read_once_as_iis_would_and_internal_only_cannot_be_walked_around(string target, string? received)
    {
        var config = Config();
        config.Section["Protection"] = new JsonObject { ["InternalOnly"] = new JsonObject { ["/ecp"] = new JsonArray("10.0.0.0/8") } };
        await using var proxy = await RunningProxy.StartAsync(config);
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync($"GET {target} HTTP/1.1\r\nHost: mail.contoso.test\r\n");
        var head = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));

        if (received is null)
        {
            Assert.Matches("^HTTP/1.1 (400|403) ", head);
            Assert.Equal(0, Exchange1.Requests + Exchange2.Requests);
            return;
        }

        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Equal(received, Assert.Single(Exchange1.Echoed.Concat(Exchange2.Echoed)).RawTarget);
    }

    [Theory]
    [InlineData("/autodiscover/autodiscover.json?Email=alice@contoso.com&Protocol=ActiveSync&RedirectCount=1")]
    [InlineData("/autodiscover/autodiscover.json?Email=alice%40contoso.com&Protocol=ActiveSync&RedirectCount=1")]
    [InlineData("/autodiscover/autodiscover.json/v1.0/alice@contoso.com?Protocol=ActiveSync")]
    [InlineData("/Autodiscover/Autodiscover.json/v1.0/alice%40contoso.com?Protocol=Rest")]
    public async Task Autodiscover_v2_in_its_documented_forms_reaches_the_server(string target)
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync(target);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Exchange1.Requests + Exchange2.Requests);
    }

    [Theory]
    [InlineData("ProxyNotShell", "/autodiscover/autodiscover.json?x=%0A&a=PowerShell")]
    [InlineData("ProxyNotShell", "/autodiscover/x?%0A%0Apowershell")]
    [InlineData("ProxyNotShell", "/PowerShell/?x=%0Aautodiscover")]
    [InlineData("ProxyShell", "/autodiscover/autodiscover.json?a..foo.var/owa/?&Email=autodiscover/autodiscover.json?a..foo.var&Protocol=XYZ")]
    [InlineData("ProxyShell", "/autodiscover/autodiscover.json%0A?@evil.com/mapi/nspi/")]
    public async Task Newlines_and_the_variants_without_an_at_sign_do_not_slip_past_the_built_in_rules(string rule, string target)
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync($"GET {target} HTTP/1.1\r\nHost: mail.contoso.test\r\n");

        Assert.StartsWith("HTTP/1.1 403", await client.ReadHeadAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        Assert.Equal(0, Exchange1.Requests + Exchange2.Requests);
        Assert.Contains(proxy.Logs.Entries, e => e.Message.StartsWith($"Refused \"{rule}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_16_KB_owa_url_passes_and_the_built_in_rules_cost_it_under_a_millisecond()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        // The shape that made the old lookahead rule backtrack: autodiscover early, and a long tail without powershell.
        var path = "/owa/service.svc?action=GetAttachment&autodiscover=1&id=";
        var url = path + string.Concat(Enumerable.Repeat("AAMkAGI2TG93AAA%3D", (16 * 1024 - path.Length) / 18 + 1))[..(16 * 1024 - path.Length)];
        Assert.Equal(16 * 1024, url.Length);

        using var client = proxy.CreateClient();
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(url, (await EchoResponse.ReadAsync(response)).RawTarget);

        var model = proxy.Services.GetRequiredService<ExchangeProxy.Configuration.ProxyModelStore>().Current;
        var edge = new EdgeProtection(_ => Task.CompletedTask, proxy.Services.GetRequiredService<ExchangeProxy.Configuration.ProxyModelStore>(),
            proxy.Services.GetRequiredService<ILogger<EdgeProtection>>(), proxy.Services.GetRequiredService<EdgeRefusals>());
        var target = NormalizedTarget.Parse(url, out _)!;
        var headers = new HeaderDictionary { ["Cookie"] = "X-OWA-CANARY=" + new string('c', 4096) };
        Assert.All(model.Protection.Rules, r => Assert.True(r.IsLinear, $"{r.Name} runs in linear time"));
        Assert.Null(edge.FirstMatch(model.Protection.Rules, target, headers));
        // The fastest of five batches: other tests share the two cores, and their noise is not the rules' cost.
        var perRequest = TimeSpan.MaxValue;
        for (var batch = 0; batch < 5; batch++)
        {
            const int Rounds = 40;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < Rounds; i++)
            {
                Assert.Null(edge.FirstMatch(model.Protection.Rules, NormalizedTarget.Parse(url, out _)!, headers));
            }

            perRequest = TimeSpan.FromTicks(Math.Min(perRequest.Ticks, (clock.Elapsed / Rounds).Ticks));
        }

        output.WriteLine($"normalising and the built-in rules: {perRequest.TotalMilliseconds:0.000} ms for a 16 KB URL and a 4 KB cookie");
        Assert.True(perRequest < TimeSpan.FromMilliseconds(1), $"the rules took {perRequest.TotalMilliseconds:0.000} ms for a 16 KB URL");
    }

    [Fact]
    public async Task An_operators_rule_that_needs_backtracking_still_works_and_is_warned_about()
    {
        var config = Config();
        config.Section["Protection"] = new JsonObject
        {
            ["Rules"] = new JsonObject
            {
                ["old-agents"] = new JsonObject { ["Target"] = "Header:User-Agent", ["Pattern"] = "^(?!Microsoft Office).*Outlook/1[0-4]\\." },
            },
        };
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        using var old = new HttpRequestMessage(HttpMethod.Get, "/owa/");
        old.Headers.TryAddWithoutValidation("User-Agent", "Outlook/14.0");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(old)).StatusCode);
        using var office = new HttpRequestMessage(HttpMethod.Get, "/owa/");
        office.Headers.TryAddWithoutValidation("User-Agent", "Microsoft Office Outlook/14.0");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(office)).StatusCode);
        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("Rule \"old-agents\" needs backtracking", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_address_headers_reach_the_servers_only_from_a_trusted_proxy()
    {
        var config = Config();
        config.Section["TrustedProxies"] = new JsonArray("127.0.0.9");
        await using var proxy = await RunningProxy.StartAsync(config);
        string[] spoofed = ["X-Real-IP", "X-Original-For", "X-Client-IP", "True-Client-IP", "X-Cluster-Client-IP", "CF-Connecting-IP"];

        async Task<EchoResponse> SendAsync(HttpClient client)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/");
            foreach (var name in spoofed)
            {
                request.Headers.TryAddWithoutValidation(name, "10.9.9.9");
            }

            request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.2.3");
            using var response = await client.SendAsync(request);
            return await EchoResponse.ReadAsync(response);
        }

        using var stranger = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.3"));
        var direct = await SendAsync(stranger);
        Assert.All(spoofed, name => Assert.Null(direct.Header(name)));
        Assert.Equal("127.0.0.3", direct.Header("X-Forwarded-For"));

        using var balancer = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.9"));
        var relayed = await SendAsync(balancer);
        Assert.Equal("10.9.9.9", relayed.Header("X-Real-IP"));
        Assert.Equal("10.9.9.9", relayed.Header("True-Client-IP"));
        Assert.Equal("10.1.2.3", relayed.Header("X-Forwarded-For"));
    }

    [Fact]
    public async Task An_http_1_0_request_without_host_is_forwarded_with_the_name_the_client_reached()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync("GET /owa/ HTTP/1.0\r\n");
        var head = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Equal("mail.contoso.test", Assert.Single(Exchange1.Echoed.Concat(Exchange2.Echoed)).Host);
    }

    private static Task<HttpResponseMessage> SendForwardedAsync(HttpClient client, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/ecp/");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }
}
