using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Admin;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Admin;

public sealed class StatsTests : TwoCasServersTest
{
    private static async Task SendAsync(RunningProxy proxy, string path, int count)
    {
        using var client = proxy.CreateClient();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Ten_requests_through_two_servers_show_five_and_five_in_json_and_csv()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await SendAsync(proxy, "/owa/", 10);
        using var admin = proxy.CreateAdminClient();

        var json = JsonDocument.Parse(await admin.GetStringAsync("/;json")).RootElement;
        var owa = json.GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa");
        Assert.Equal("http", owa.GetProperty("layer").GetString());
        Assert.Equal("/owa", owa.GetProperty("front").GetString());
        var servers = owa.GetProperty("servers").EnumerateArray().ToDictionary(s => s.GetProperty("server").GetString()!);
        Assert.Equal(5, servers["exchange1"].GetProperty("total").GetInt64());
        Assert.Equal(5, servers["exchange2"].GetProperty("total").GetInt64());
        Assert.Equal(0, servers["exchange1"].GetProperty("current").GetInt64());
        Assert.Equal(1, servers["exchange1"].GetProperty("max").GetInt64());
        Assert.True(servers["exchange1"].GetProperty("bytesOut").GetInt64() > 0);
        Assert.Equal(10, owa.GetProperty("total").GetProperty("total").GetInt64());
        Assert.Equal(1.0, owa.GetProperty("total").GetProperty("rate").GetDouble());
        Assert.Equal(proxy.ConfigPath, json.GetProperty("configFile").GetString());

        var csv = (await admin.GetStringAsync("/;csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(StatsCsv.Header, csv[0]);
        var columns = csv[0][2..].Split(',');
        var rows = csv.Skip(1).Select(line => line.Split(',')).Where(r => r[0] == "owa").ToDictionary(r => r[1]);
        Assert.Equal("5", rows["exchange1"][Array.IndexOf(columns, "stot")]);
        Assert.Equal("5", rows["exchange2"][Array.IndexOf(columns, "stot")]);
        Assert.Equal("10", rows["BACKEND"][Array.IndexOf(columns, "stot")]);
        Assert.Equal("10", rows["FRONTEND"][Array.IndexOf(columns, "stot")]);
        Assert.Equal("UP", rows["exchange1"][Array.IndexOf(columns, "status")]);
        Assert.Equal("Http", rows["exchange1"][Array.IndexOf(columns, "check_type")]);
    }

    [Fact]
    public async Task A_drained_server_and_a_stick_table_show_on_the_page_data()
    {
        var config = Config().Service("owa", new JsonObject { ["Affinity"] = new JsonObject { ["Mode"] = "ClientIp" } });
        await using var proxy = await RunningProxy.StartAsync(config);
        await SendAsync(proxy, "/owa/", 3);
        using var admin = proxy.CreateAdminClient();
        (await admin.PostAsync("/api/servers/exchange2/drain?service=owa", null)).EnsureSuccessStatusCode();

        var owa = JsonDocument.Parse(await admin.GetStringAsync("/;json")).RootElement
            .GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa");
        var states = owa.GetProperty("servers").EnumerateArray().ToDictionary(s => s.GetProperty("server").GetString()!, s => s.GetProperty("state").GetString());
        Assert.Equal("DRAIN", states["exchange2"]);
        var affinity = owa.GetProperty("affinity");
        Assert.Equal("owa", affinity.GetProperty("table").GetString());
        Assert.Equal(1, affinity.GetProperty("entries").GetInt32());
        Assert.Equal(2, affinity.GetProperty("hits").GetInt64());

        var page = await admin.GetStringAsync("/");
        Assert.Contains("<title>ExchangeProxy statistics</title>", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", page, StringComparison.Ordinal);
        Assert.DoesNotContain(typeof(StatsCollector).Assembly.GetName().Version!.ToString(), page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_scrape_in_prometheus_format_with_the_per_server_counters_and_health()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await SendAsync(proxy, "/EWS/Exchange.asmx", 4);
        await ProbeRounds.FirstRoundAsync(proxy);

        await using var curl = ProxyProcess.Start("curl", ["-sf", new Uri(proxy.AdminAddress!, "/metrics").AbsoluteUri]);
        Assert.Equal(0, await curl.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        var metrics = curl.Stdout;

        Assert.Contains("# TYPE exchangeproxy_server_sessions_total counter", metrics, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^exchangeproxy_server_sessions_total\{layer=""http"",server=""exchange1"",service=""ews""\} 2$", metrics);
        Assert.Matches(@"(?m)^exchangeproxy_server_sessions_total\{layer=""http"",server=""exchange2"",service=""ews""\} 2$", metrics);
        Assert.Matches(@"(?m)^exchangeproxy_server_up\{server=""exchange2"",service=""owa""\} 1$", metrics);
        Assert.Matches(@"(?m)^exchangeproxy_server_admin_state\{server=""exchange1"",service=""owa""\} 0$", metrics);
        // Kestrel's own meter, not a copy of it; and nothing of the other hosts this test process runs.
        Assert.Contains("microsoft_aspnetcore_server_kestrel_kestrel_active_connections", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("service=\"legacy\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_users_configured_everything_but_health_needs_a_sign_in()
    {
        var config = Config();
        config.Section["Admin"]!["Users"] = new JsonArray(new JsonObject { ["Name"] = "operator", ["PasswordHash"] = PasswordHash.Create("correct horse") });
        await using var proxy = await RunningProxy.StartAsync(config);
        using var anonymous = proxy.CreateAdminClient();

        foreach (var path in new[] { "/", "/;json", "/;csv", "/metrics", "/api/servers" })
        {
            using var refused = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/servers/exchange1/maint", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);

        using var wrong = proxy.CreateAdminClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:battery staple")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/;json")).StatusCode);

        using var signedIn = proxy.CreateAdminClient();
        signedIn.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("operator:correct horse")));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("/;json")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await signedIn.PostAsync("/api/servers/exchange1/drain", null)).StatusCode);
    }

    [Fact]
    public async Task Hash_password_reads_standard_input_and_prints_a_hash_the_proxy_accepts()
    {
        await using var process = ProxyProcess.StartBuilt("--hash-password");
        await process.WriteStdinAsync("correct horse\n");
        process.CloseStdin();
        Assert.Equal(0, await process.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        var hash = process.Stdout.Trim();

        Assert.StartsWith("pbkdf2-sha256$100000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHash.Verify("correct horse", hash));
        Assert.False(PasswordHash.Verify("correct horse ", hash));
        Assert.DoesNotContain("correct horse", process.Stdout + process.Stderr, StringComparison.Ordinal);
    }
}
