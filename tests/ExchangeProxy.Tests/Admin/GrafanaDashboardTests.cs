using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Admin;

/// <summary>deploy/grafana's dashboard asks only for metrics that /metrics serves, and takes rates of counters only.</summary>
public sealed partial class GrafanaDashboardTests : TwoCasServersTest
{
    protected override bool WindowsAuth => true;

    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_scraped_from_a_proxy_carrying_traffic()
    {
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Repository.PathOf("deploy/grafana/exchangeproxy.json")))!;
        var expressions = dashboard["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => t!["expr"]!.GetValue<string>()))
            .ToList();
        var names = expressions.SelectMany(expr => MetricName().Matches(expr).Select(m => m.Value)).ToHashSet();
        var rated = expressions.SelectMany(expr => RateOf().Matches(expr).Select(m => m.Groups[1].Value)).ToHashSet();
        Assert.NotEmpty(names);
        Assert.Contains("exchangeproxy_server_session_duration_seconds_bucket", rated);

        var config = Config().Service("owa", new JsonObject { ["Affinity"] = new JsonObject { ["Mode"] = "ClientIp" } })
            .Listener("https", new JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = Exchange1.Port, ["Servers"] = new JsonArray("exchange1") });
        // A layer-4 pool needs one port for all its servers: exchange1's.
        await using var proxy = await RunningProxy.StartAsync(config);
        using (var client = proxy.CreateClient())
        {
            await client.GetAsync("/owa/");
        }

        using var outlook = new SigningInClient(proxy, "alice");
        await outlook.SignInAsync("/EWS/Exchange.asmx");
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(proxy.TcpListener("https"));
            await tcp.GetStream().WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x01, 0x00 });
        }

        var layer4 = proxy.Services.GetRequiredService<ExchangeProxy.Statistics.ServerStatistics>();
        await Eventually.TrueAsync(() => layer4.Servers.ContainsKey(("https", "exchange1")), "the layer-4 connection reached its server");

        using var admin = proxy.CreateAdminClient();
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.All(names, name => Assert.Matches($"(?m)^{name}[{{ ]", metrics));
        // rate() of a gauge means nothing: what the dashboard rates is a counter, or a histogram's buckets and count.
        Assert.All(rated, name => Assert.Matches(
            $"(?m)^# TYPE ({name} counter|{Regex.Replace(name, "_(bucket|count|sum)$", "")} histogram)$", metrics));
    }

    [GeneratedRegex(@"\b(exchangeproxy|microsoft_aspnetcore)_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"\brate\(([a-z_]+)")]
    private static partial Regex RateOf();
}
