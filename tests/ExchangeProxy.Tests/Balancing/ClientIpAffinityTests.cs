using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Balancing;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ExchangeProxy.Tests.Balancing;

public sealed class ClientIpAffinityTests : TwoCasServersTest
{
    private ProxyConfig Sticky(JsonObject? affinity = null, params string[] services)
    {
        var config = Config();
        foreach (var service in services.Length == 0 ? ["owa"] : services)
        {
            config.Service(service, new JsonObject { ["Affinity"] = affinity?.DeepClone() ?? new JsonObject { ["Mode"] = "ClientIp" } });
        }

        return config;
    }

    /// <summary>Client-IP affinity on OWA, the table shared through <paramref name="redis"/>.</summary>
    private ProxyConfig SharedThrough(RedisServer redis)
    {
        var config = Sticky();
        config.Section["Redis"] = new JsonObject { ["Configuration"] = redis.Configuration };
        return config;
    }

    private static IPAddress Client(int n) => IPAddress.Parse($"127.0.0.{n}");

    private static async Task<string> ServerOf(HttpClient client, string path = "/owa/")
    {
        using var response = await client.GetAsync(path);
        return (await EchoResponse.ReadAsync(response)).Server;
    }

    private static async Task<string> ServerOf(RunningProxy proxy, int client, string path = "/owa/")
    {
        using var http = proxy.CreateClientFrom(Client(client));
        return await ServerOf(http, path);
    }

    [Fact]
    public async Task The_same_client_address_stays_on_one_server_and_different_addresses_spread()
    {
        await using var proxy = await RunningProxy.StartAsync(Sticky());
        var servers = new Dictionary<int, string>();
        for (var n = 2; n < 22; n++)
        {
            // Each request on a new connection from the same address.
            var seen = new HashSet<string>();
            for (var i = 0; i < 5; i++)
            {
                seen.Add(await ServerOf(proxy, n));
            }

            servers[n] = Assert.Single(seen);
        }

        Assert.Equal(10, servers.Values.Count(s => s == "exchange1"));
        Assert.Equal(10, servers.Values.Count(s => s == "exchange2"));
        var table = proxy.Services.GetRequiredService<StickTables>().Find("owa")!;
        Assert.Equal(20, table.Count);
        Assert.Equal(new StickTableCounters(Hits: 80, Misses: 20, Redispatches: 0, Evictions: 0, Expirations: 0), table.Counters);

        // ECP has no affinity: the same client alternates.
        using var ecp = proxy.CreateClientFrom(Client(2));
        Assert.NotEqual(await ServerOf(ecp, "/ecp/"), await ServerOf(ecp, "/ecp/"));
    }

    [Fact]
    public async Task A_client_behind_a_trusted_proxy_is_keyed_by_its_forwarded_address()
    {
        var config = Sticky();
        config.Section["TrustedProxies"] = new JsonArray("127.0.0.0/8");
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        async Task<string> As(string forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/");
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            using var response = await client.SendAsync(request);
            return (await EchoResponse.ReadAsync(response)).Server;
        }

        var first = await As("203.0.113.10");
        var second = await As("203.0.113.11");
        Assert.NotEqual(first, second);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(first, await As("203.0.113.10"));
            Assert.Equal(second, await As("203.0.113.11"));
        }
    }

    [Fact]
    public async Task A_client_forgotten_after_expiry_is_balanced_afresh()
    {
        var time = new FakeTimeProvider();
        await using var proxy = await RunningProxy.StartAsync(Sticky(new JsonObject { ["Expire"] = "00:15:00" }), time);
        // Probes in flight when the clock jumps would time out: let the first round decide the servers' state first.
        await ProbeRounds.FirstRoundAsync(proxy);

        var first = await ServerOf(proxy, 2);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(first, await ServerOf(proxy, 2));
        time.Advance(TimeSpan.FromMinutes(15));

        // Round robin's next pick is the other server.
        Assert.NotEqual(first, await ServerOf(proxy, 2));
        Assert.Equal(1, proxy.Services.GetRequiredService<StickTables>().Find("owa")!.Counters.Expirations);
    }

    [Fact]
    public async Task A_client_whose_server_is_stopped_is_redispatched_at_once_and_stays_when_the_server_returns()
    {
        await using var proxy = await RunningProxy.StartAsync(Sticky());
        using var redispatches = new MetricReader(proxy, "stick_table.redispatches");
        var first = await ServerOf(proxy, 2);
        var stopped = first == "exchange1" ? Exchange1 : Exchange2;
        var port = stopped.Port;

        // The process stops: its port refuses connections. The very next request is redispatched, not failed.
        await stopped.DisposeAsync();
        var moved = await ServerOf(proxy, 2);
        Assert.NotEqual(first, moved);

        await using var restarted = await FakeCasServer.StartAsync(first, port: port);
        await ProbeRounds.AllUpAsync(proxy);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(moved, await ServerOf(proxy, 2));
        }

        Assert.Equal(1, proxy.Services.GetRequiredService<StickTables>().Find("owa")!.Counters.Redispatches);
        Assert.Equal(1, redispatches.Read("table=owa"));
    }

    [Fact]
    public async Task Services_that_share_a_table_keep_a_client_on_one_server()
    {
        await using var proxy = await RunningProxy.StartAsync(Sticky(new JsonObject { ["Table"] = "web" }, "owa", "ews"));

        // Another client takes OWA's first pick, so this one's OWA goes to the second server; EWS on its own
        // would pick the first.
        var other = await ServerOf(proxy, 4);
        var owa = await ServerOf(proxy, 2);
        Assert.NotEqual(other, owa);

        Assert.Equal(owa, await ServerOf(proxy, 2, "/EWS/Exchange.asmx"));
        Assert.Single(proxy.Services.GetRequiredService<StickTables>().All);
    }

    [Fact]
    public async Task Two_instances_sharing_a_redis_keep_a_client_on_its_server()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = SharedThrough(redis);
        await using var a = await RunningProxy.StartAsync(config);
        await using var b = await RunningProxy.StartAsync(config);

        // On A the client goes to the second server; B on its own would send it to the first.
        var first = await ServerOf(a, 4);
        var server = await ServerOf(a, 2);
        Assert.NotEqual(first, server);
        await WaitForKeyAsync(redis, "exchangeproxy:stick:owa:127.0.0.2", server);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(server, await ServerOf(b, 2));
        }

        Assert.Equal(1, b.Services.GetRequiredService<StickTables>().Store!.Counters.Hits);
    }

    [Fact]
    public async Task Killing_redis_mid_traffic_loses_no_request_and_sharing_resumes_when_it_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = SharedThrough(redis);
        await using var proxy = await RunningProxy.StartAsync(config);
        var store = proxy.Services.GetRequiredService<StickTables>().Store!;

        for (var i = 0; i < 120; i++)
        {
            if (i == 40)
            {
                await redis.KillAsync();
            }
            else if (i == 80)
            {
                await redis.StartAgainAsync();
            }

            // 60 addresses: the second round of them finds its entries locally, Redis or not.
            using var client = proxy.CreateClientFrom(Client(2 + (i % 60)));
            using var response = await client.GetAsync("/owa/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await Eventually.TrueAsync(
            () => proxy.Logs.Entries.Any(e => e.Message.Contains("Redis is reachable again", StringComparison.Ordinal)),
            "the store reconnects to the restarted Redis and says so");
        Assert.True(store.Counters.Reachable);
        // The outage is logged once, not once per request.
        var outage = Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("Redis is unreachable", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, outage.Level);

        var server = await ServerOf(proxy, 200);
        await WaitForKeyAsync(redis, "exchangeproxy:stick:owa:127.0.0.200", server);
    }

    [Fact]
    public async Task What_an_instance_decided_while_redis_was_down_is_pushed_back_so_a_second_instance_agrees()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = SharedThrough(redis);
        await using var a = await RunningProxy.StartAsync(config);
        await using var b = await RunningProxy.StartAsync(config);
        // B's round robin is one step ahead of A's: balancing afresh, B would send every client elsewhere.
        await ServerOf(b, 250);
        await redis.KillAsync();

        var decided = new Dictionary<int, string>();
        for (var client = 2; client < 102; client++)
        {
            decided[client] = await ServerOf(a, client);
        }

        await redis.StartAgainAsync();
        await Eventually.TrueAsync(
            () => a.Logs.Entries.Where(e => e.Properties.ContainsKey("Pushed")).Sum(e => Convert.ToInt32(e.Properties["Pushed"], CultureInfo.InvariantCulture)) == 100,
            "A pushes its 100 entries to the restarted Redis");
        await Eventually.TrueAsync(() => b.Services.GetRequiredService<StickTables>().Store!.Counters.Reachable, "B reconnects");

        var agreed = 0;
        foreach (var (client, server) in decided)
        {
            agreed += await ServerOf(b, client) == server ? 1 : 0;
        }

        Assert.Equal(100, agreed);
    }

    [Fact]
    public async Task A_proxy_whose_redis_is_down_from_the_start_serves_with_local_tables()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.KillAsync();
        var config = SharedThrough(redis);
        await using var proxy = await RunningProxy.StartAsync(config);

        var server = await ServerOf(proxy, 2);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(server, await ServerOf(proxy, 2));
        }

        Assert.Single(proxy.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Redis is unreachable", StringComparison.Ordinal));
        Assert.False(proxy.Services.GetRequiredService<StickTables>().Store!.Counters.Reachable);
    }

    private static async Task WaitForKeyAsync(RedisServer redis, string key, string expected)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var database = connection.GetDatabase();
        await Eventually.TrueAsync(async () => await database.StringGetAsync(key) == expected, $"Redis holds {key} = {expected}");
    }
}
