using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Admin;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Admin;

/// <summary>Two proxy instances and one real redis-server: one call acts on both, and what one decided alone reaches the other.</summary>
public sealed class SharedMaintenanceTests : TwoCasServersTest
{
    private ProxyConfig SharedThrough(RedisServer redis)
    {
        var config = Config();
        config.Section["Redis"] = new JsonObject { ["Configuration"] = redis.Configuration };
        return config;
    }

    private static AdminState StateOf(RunningProxy proxy, string server) =>
        proxy.Services.GetRequiredService<MaintenanceStates>().For("owa", server);

    private static async Task<JsonElement> PostAsync(RunningProxy proxy, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var admin = proxy.CreateAdminClient();
        using var response = await admin.PostAsync(path, content: null);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    private static async Task<JsonElement> StatsAsync(RunningProxy proxy)
    {
        using var admin = proxy.CreateAdminClient();
        return JsonDocument.Parse(await admin.GetStringAsync("/;json")).RootElement.Clone();
    }

    private static async Task<List<string>> ServersOfNewClientsAsync(RunningProxy proxy, int count)
    {
        var servers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var http = proxy.CreateClient();
            using var response = await http.GetAsync("/owa/");
            servers.Add((await EchoResponse.ReadAsync(response)).Server);
        }

        return servers;
    }

    private static Task BothSeeEachOtherAsync(RunningProxy a, RunningProxy b) =>
        Eventually.TrueAsync(async () =>
            (await StatsAsync(a)).GetProperty("instances").GetArrayLength() == 2
            && (await StatsAsync(b)).GetProperty("instances").GetArrayLength() == 2, "both instances listed on both stats pages");

    [Fact]
    public async Task A_drain_on_one_instance_applies_on_every_instance_and_the_stats_page_shows_what_each_applies()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = SharedThrough(redis);
        await using var a = await RunningProxy.StartAsync(config);
        await using var b = await RunningProxy.StartAsync(config);
        await BothSeeEachOtherAsync(a, b);

        await PostAsync(a, "/api/servers/exchange1/drain");
        await Eventually.TrueAsync(() => StateOf(b, "exchange1") == AdminState.Drain, "the other instance drains exchange1");
        Assert.All(await ServersOfNewClientsAsync(b, 6), server => Assert.Equal("exchange2", server));
        Assert.Contains(b.Logs.Entries, e => e.Message.Contains("as another instance decided", StringComparison.Ordinal)
            && Equals(e.Properties["Server"], "exchange1") && Equals(e.Properties["State"], "drain"));

        // Each stats page lists both instances, each applying the drain, in agreement.
        await Eventually.TrueAsync(async () =>
        {
            var instances = (await StatsAsync(b)).GetProperty("instances").EnumerateArray().ToList();
            return instances.Count == 2
                && instances.All(i => i.GetProperty("agrees").GetBoolean() && i.GetProperty("servers").GetProperty("exchange1").GetString() == "drain")
                && instances.Count(i => i.GetProperty("self").GetBoolean()) == 1;
        }, "both instances shown applying the drain");

        // Back to ready from the other instance, this time.
        await PostAsync(b, "/api/servers/exchange1/ready");
        await Eventually.TrueAsync(() => StateOf(a, "exchange1") == AdminState.Ready, "the first instance takes exchange1 back");
        Assert.Contains("exchange1", await ServersOfNewClientsAsync(a, 6));
    }

    [Fact]
    public async Task What_each_instance_decided_while_redis_was_down_reaches_the_other_and_the_newest_decision_wins()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = SharedThrough(redis);
        await using var a = await RunningProxy.StartAsync(config);
        await using var b = await RunningProxy.StartAsync(config);
        await BothSeeEachOtherAsync(a, b);

        await redis.KillAsync();
        await Eventually.TrueAsync(() => a.Logs.Entries.Any(e => e.Message.Contains("Maintenance states cannot be shared", StringComparison.Ordinal)),
            "the first instance notices Redis is gone");

        // Alone, each instance still takes the operator's calls.
        await PostAsync(a, "/api/servers/exchange1/maint");
        await PostAsync(a, "/api/servers/exchange2/drain");
        await PostAsync(b, "/api/servers/exchange2/ready");
        Assert.Equal(AdminState.Maint, StateOf(a, "exchange1"));
        Assert.Equal(AdminState.Ready, StateOf(b, "exchange1"));
        Assert.Equal(AdminState.Drain, StateOf(a, "exchange2"));

        await redis.StartAgainAsync();
        // exchange1: only the first instance decided, so the second follows; exchange2: the second's ready came last.
        await Eventually.TrueAsync(() => StateOf(b, "exchange1") == AdminState.Maint, "the second instance takes exchange1 out");
        await Eventually.TrueAsync(() => StateOf(a, "exchange2") == AdminState.Ready, "the first instance takes the newer ready for exchange2");
        Assert.Equal(AdminState.Maint, StateOf(a, "exchange1"));
        Assert.Equal(AdminState.Ready, StateOf(b, "exchange2"));
        Assert.All(await ServersOfNewClientsAsync(b, 4), server => Assert.Equal("exchange2", server));
    }

    [Fact]
    public async Task A_runtime_weight_applies_on_every_instance_and_survives_a_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = SharedThrough(redis);
        await using var a = await RunningProxy.StartAsync(config);
        // The second instance's state file outlives its configuration folder, which the test proxy deletes when it stops.
        var state = Path.Combine(Directory.CreateTempSubdirectory("exproxy-state-").FullName, "state.json");
        var bConfig = SharedThrough(redis);
        bConfig.Section["Admin"]!["StateFile"] = state;
        var b = await RunningProxy.StartAsync(bConfig);
        try
        {
            await BothSeeEachOtherAsync(a, b);
            var set = await PostAsync(a, "/api/servers/exchange1/weight/0?service=owa");
            Assert.Equal("0", set.GetProperty("weight").GetString());
            await Eventually.TrueAsync(() => b.Services.GetRequiredService<MaintenanceStates>().WeightOf("owa", "exchange1", 1) == 0,
                "the other instance weighs exchange1 0 for OWA");
            Assert.All(await ServersOfNewClientsAsync(b, 6), server => Assert.Equal("exchange2", server));
            var row = (await StatsAsync(b)).GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa")
                .GetProperty("servers").EnumerateArray().Single(r => r.GetProperty("server").GetString() == "exchange1");
            Assert.Equal(0, row.GetProperty("weight").GetInt32());
            Assert.Equal("DRAIN", row.GetProperty("state").GetString());
        }
        finally
        {
            await b.DisposeAsync();
        }

        // Restarted alone, without Redis's help: the weight is in its own state file.
        await redis.KillAsync();
        await using var restarted = await RunningProxy.StartAsync(bConfig);
        Assert.Equal(0, restarted.Services.GetRequiredService<MaintenanceStates>().WeightOf("owa", "exchange1", 1));
        Assert.All(await ServersOfNewClientsAsync(restarted, 4), server => Assert.Equal("exchange2", server));

        await PostAsync(restarted, "/api/servers/exchange1/weight/configured?service=owa");
        Assert.Contains("exchange1", await ServersOfNewClientsAsync(restarted, 6));
    }

    [Fact]
    public async Task A_weight_that_is_not_one_is_refused_and_changes_nothing()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        foreach (var bad in new[] { "257", "-1", "abc", "1.5", "0x10" })
        {
            var error = await PostAsync(proxy, $"/api/servers/exchange1/weight/{bad}", HttpStatusCode.BadRequest);
            Assert.Contains("is not a weight", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        await PostAsync(proxy, "/api/servers/exchange9/weight/10", HttpStatusCode.NotFound);
        await PostAsync(proxy, "/api/servers/exchange1/weight/10?service=nosuch", HttpStatusCode.NotFound);
        Assert.False(proxy.Services.GetRequiredService<MaintenanceStates>().HasWeights);
    }
}
