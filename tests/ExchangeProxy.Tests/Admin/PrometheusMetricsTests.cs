using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExchangeProxy.Hosting;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Admin;

/// <summary>/metrics by Prometheus' conventions: counters end in _total, bytes in _bytes_total, durations are histograms in seconds, and build_info.</summary>
public sealed partial class PrometheusMetricsTests : TwoCasServersTest
{
    private static async Task<string> ScrapeAsync(RunningProxy proxy)
    {
        await using var curl = ProxyProcess.Start("curl", ["-sf", new Uri(proxy.AdminAddress!, "/metrics").AbsoluteUri]);
        Assert.Equal(0, await curl.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        return curl.Stdout;
    }

    private static Dictionary<string, string> Types(string metrics) =>
        TypeLine().Matches(metrics).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    [Fact]
    public async Task Counters_are_counters_named_total_and_bytes_are_bytes_total()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using (var client = proxy.CreateClient())
        {
            for (var i = 0; i < 4; i++)
            {
                (await client.GetAsync("/EWS/Exchange.asmx")).EnsureSuccessStatusCode();
            }
        }

        // Kestrel records a connection's duration when it closes, after the client let go of it.
        var metrics = "";
        await Eventually.TrueAsync(async () => (metrics = await ScrapeAsync(proxy)).Contains("kestrel_connection_duration_seconds_bucket", StringComparison.Ordinal),
            "Kestrel's connection durations are scraped");
        var types = Types(metrics);

        foreach (var counter in new[] { "sessions", "bytes", "errors", "retries", "redispatches" })
        {
            Assert.Equal("counter", types[$"exchangeproxy_server_{counter}_total"]);
            Assert.DoesNotContain($"exchangeproxy_server_{counter}", types.Keys);
        }

        Assert.Equal("gauge", types["exchangeproxy_server_sessions_active"]);
        Assert.Matches(@"(?m)^exchangeproxy_server_sessions_total\{layer=""http"",server=""exchange1"",service=""ews""\} 2$", metrics);
        Assert.Matches(@"(?m)^exchangeproxy_server_bytes_total\{direction=""out"",layer=""http"",server=""exchange2"",service=""ews""\} [1-9]\d*$", metrics);
        // Every series by the conventions, Kestrel's included: a counter and only a counter ends in _total, a
        // histogram of a duration is in seconds.
        Assert.All(types, type => Assert.Equal(type.Key.EndsWith("_total", StringComparison.Ordinal), type.Value == "counter"));
        Assert.All(types.Where(t => t.Value == "histogram"), type => Assert.EndsWith("_seconds", type.Key, StringComparison.Ordinal));
        Assert.Equal("histogram", types["microsoft_aspnetcore_server_kestrel_kestrel_connection_duration_seconds"]);
        Assert.DoesNotContain("prometheus_net_meteradapter", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_request_falls_in_its_servers_duration_bucket_and_a_held_connection_in_its_pools()
    {
        var config = Config().Listener("https", new JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = Exchange1.Port, ["Servers"] = new JsonArray("exchange1") });
        await using var proxy = await RunningProxy.StartAsync(config);
        using (var client = proxy.CreateClient())
        {
            // Round robin: one to each server.
            (await client.GetAsync("/owa/?delayMs=1200")).EnsureSuccessStatusCode();
            (await client.GetAsync("/owa/?delayMs=1200")).EnsureSuccessStatusCode();
        }

        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(proxy.TcpListener("https"));
            await tcp.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x01, 0x00 });
            // What is measured: the connection lasts this long.
            await Task.Delay(TimeSpan.FromMilliseconds(1200));
        }

        var statistics = proxy.Services.GetRequiredService<ExchangeProxy.Statistics.ServerStatistics>();
        await Eventually.TrueAsync(() => statistics.Servers.TryGetValue(("https", "exchange1"), out var c) && Volatile.Read(ref c.Active) == 0,
            "the layer-4 connection ended");
        var metrics = await ScrapeAsync(proxy);

        Assert.Equal("histogram", Types(metrics)["exchangeproxy_server_session_duration_seconds"]);
        foreach (var (layer, service, server) in new[] { ("http", "owa", "exchange1"), ("http", "owa", "exchange2"), ("tcp", "https", "exchange1") })
        {
            var series = $@"exchangeproxy_server_session_duration_seconds_bucket\{{layer=""{layer}"",service=""{service}"",server=""{server}""";
            Assert.Matches($@"(?m)^{series},le=""1""\}} 0$", metrics);
            Assert.Matches($@"(?m)^{series},le=""60""\}} 1$", metrics);
            Assert.Matches($@"(?m)^{series},le=""\+Inf""\}} 1$", metrics);
            Assert.Matches($@"(?m)^exchangeproxy_server_session_duration_seconds_count\{{layer=""{layer}"",service=""{service}"",server=""{server}""\}} 1$", metrics);
        }

        // The buckets reach the hour an ActiveSync Ping may last.
        Assert.Matches(@"(?m)^exchangeproxy_server_session_duration_seconds_bucket\{layer=""http"",service=""owa"",server=""exchange1"",le=""3600""\} 1$", metrics);
    }

    [Fact]
    public async Task Build_info_names_the_version_the_commit_and_the_runtime()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        var metrics = await ScrapeAsync(proxy);

        var build = BuildVersion.Current;
        Assert.Matches("^[0-9]+\\.[0-9]+\\.[0-9]+", build.Version);
        // Built from this git checkout: the SDK put the commit in the informational version.
        Assert.Matches("^[0-9a-f]{40}$", build.Commit);
        Assert.Equal("gauge", Types(metrics)["exchangeproxy_build_info"]);
        Assert.Contains($"exchangeproxy_build_info{{version=\"{build.Version}\",commit=\"{build.Commit}\",runtime=\"{build.Runtime}\"}} 1\n",
            metrics, StringComparison.Ordinal);
        Assert.StartsWith(".NET 10.", build.Runtime, StringComparison.Ordinal);
        Assert.Equal($"ExchangeProxy {build.Version}+{build.Commit} on {build.Runtime}", ProxyProgram.VersionLine());
    }

    [GeneratedRegex(@"(?m)^# TYPE (\S+) (\S+)$")]
    private static partial Regex TypeLine();
}
