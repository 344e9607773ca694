using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Balancing;
using ExchangeProxy.Tests.Infrastructure;
using StackExchange.Redis;

namespace ExchangeProxy.Tests.Admin;

/// <summary>HAProxy's show table / clear table on the admin API, against a table shared through a real redis-server.</summary>
public sealed class StickTableApiTests : TwoCasServersTest
{
    private ProxyConfig StickyOwaSharedThrough(RedisServer redis)
    {
        var config = Config().Service("owa", new JsonObject { ["Affinity"] = new JsonObject { ["Mode"] = "ClientIp" } });
        config.Section["Redis"] = new JsonObject { ["Configuration"] = redis.Configuration };
        return config;
    }

    private static async Task<string> OwaServerOf(RunningProxy proxy, int client)
    {
        using var http = proxy.CreateClientFrom(IPAddress.Parse($"127.0.0.{client}"));
        using var response = await http.GetAsync("/owa/");
        return (await EchoResponse.ReadAsync(response)).Server;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(RunningProxy proxy, HttpMethod method, string path)
    {
        using var admin = proxy.CreateAdminClient();
        using var response = await admin.SendAsync(new HttpRequestMessage(method, path));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static List<(string Client, string Server)> Entries(JsonElement body) =>
        [.. body.GetProperty("tables").EnumerateArray().Single().GetProperty("entries").EnumerateArray()
            .Select(e => (e.GetProperty("client").GetString()!, e.GetProperty("server").GetString()!))];

    [Fact]
    public async Task Show_filters_by_client_and_server_and_clear_forgets_here_and_in_redis_what_other_instances_wrote_too()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(StickyOwaSharedThrough(redis));
        var servers = new Dictionary<int, string>();
        for (var n = 2; n <= 7; n++)
        {
            servers[n] = await OwaServerOf(proxy, n);
        }

        var (status, all) = await SendAsync(proxy, HttpMethod.Get, "/api/tables");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(6, Entries(all).Count);
        var (_, one) = await SendAsync(proxy, HttpMethod.Get, "/api/tables/owa?client=127.0.0.3");
        Assert.Equal([("127.0.0.3", servers[3])], Entries(one));
        var (_, ofExchange1) = await SendAsync(proxy, HttpMethod.Get, "/api/tables/owa?server=exchange1");
        Assert.Equal(servers.Count(s => s.Value == "exchange1"), Entries(ofExchange1).Count);
        Assert.All(Entries(ofExchange1), e => Assert.Equal("exchange1", e.Server));

        // Another instance's client, known only to Redis.
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var database = connection.GetDatabase();
        var othersKey = $"exchangeproxy:stick:owa:{ClientKey.From(IPAddress.Parse("192.0.2.9"))}";
        await database.StringSetAsync(othersKey, "exchange2", TimeSpan.FromMinutes(5));
        await Eventually.TrueAsync(async () => await database.StringGetAsync($"exchangeproxy:stick:owa:{ClientKey.From(IPAddress.Parse("127.0.0.3"))}") == servers[3],
            "the proxy's own entries are in Redis");

        var (cleared, clearedOne) = await SendAsync(proxy, HttpMethod.Post, "/api/tables/owa/clear?client=127.0.0.3");
        Assert.Equal(HttpStatusCode.OK, cleared);
        Assert.Equal(1, clearedOne.GetProperty("cleared").GetInt32());
        Assert.Equal(1, clearedOne.GetProperty("clearedInRedis").GetInt64());
        Assert.False(await database.KeyExistsAsync($"exchangeproxy:stick:owa:{ClientKey.From(IPAddress.Parse("127.0.0.3"))}"));
        Assert.Equal(5, Entries((await SendAsync(proxy, HttpMethod.Get, "/api/tables/owa")).Body).Count);

        var (_, clearedAll) = await SendAsync(proxy, HttpMethod.Post, "/api/tables/owa/clear");
        Assert.Equal(5, clearedAll.GetProperty("cleared").GetInt32());
        Assert.Equal(6, clearedAll.GetProperty("clearedInRedis").GetInt64());
        Assert.False(await database.KeyExistsAsync(othersKey));
        Assert.Empty(Entries((await SendAsync(proxy, HttpMethod.Get, "/api/tables/owa")).Body));
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("cleared for", StringComparison.Ordinal) && Equals(e.Properties["Local"], 5));
    }

    [Fact]
    public async Task A_bad_client_or_an_unknown_table_is_refused_and_forgets_nothing()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var proxy = await RunningProxy.StartAsync(StickyOwaSharedThrough(redis));
        await OwaServerOf(proxy, 2);

        var (badClient, error) = await SendAsync(proxy, HttpMethod.Post, "/api/tables/owa/clear?client=127.0.0.300");
        Assert.Equal(HttpStatusCode.BadRequest, badClient);
        Assert.Contains("is not an IP address", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        var (unknown, unknownError) = await SendAsync(proxy, HttpMethod.Post, "/api/tables/nosuch/clear");
        Assert.Equal(HttpStatusCode.NotFound, unknown);
        Assert.Contains("the tables are owa", unknownError.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(Entries((await SendAsync(proxy, HttpMethod.Get, "/api/tables/owa")).Body));
    }
}
