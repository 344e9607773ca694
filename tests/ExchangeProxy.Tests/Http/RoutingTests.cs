using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Configuration;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

public sealed class RoutingTests : TwoCasServersTest
{
    [Fact]
    public async Task Every_virtual_directory_is_routed_case_insensitively_round_robin_over_both_servers()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();

        foreach (var vdir in ExchangeVirtualDirectories.All)
        {
            var seen = new List<string>();
            foreach (var path in new[] { vdir.Path + "/x", vdir.Path.ToUpperInvariant() + "/y", vdir.Path.ToLowerInvariant(), vdir.Path + "/healthcheck.htm" })
            {
                using var response = await client.GetAsync(path);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                seen.Add(path.EndsWith("healthcheck.htm", StringComparison.Ordinal)
                    ? (await response.Content.ReadAsStringAsync()).Split("<br/>")[1]
                    : (await EchoResponse.ReadAsync(response)).Server);
            }

            // Round robin alternates: two requests to each server out of four.
            Assert.Equal(2, seen.Count(s => s.StartsWith("exchange1", StringComparison.OrdinalIgnoreCase)));
            Assert.Equal(2, seen.Count(s => s.StartsWith("exchange2", StringComparison.OrdinalIgnoreCase)));
        }

        using var unknown = await client.GetAsync("/owaextra/x");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Weights_share_requests_in_proportion()
    {
        var config = Config();
        config.Section["Servers"]![0]!["Weight"] = 3;
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        var servers = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            servers.Add((await EchoResponse.ReadAsync(await client.GetAsync("/EWS/Exchange.asmx"))).Server);
        }

        Assert.Equal(6, servers.Count(s => s == "exchange1"));
        Assert.Equal(2, servers.Count(s => s == "exchange2"));
    }

    [Fact]
    public async Task A_server_of_weight_0_takes_no_new_request_and_shows_as_draining_as_at_layer_4()
    {
        var config = Config();
        config.Section["Servers"]![1]!["Weight"] = 0;
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("exchange1", (await EchoResponse.ReadAsync(await client.GetAsync("/EWS/Exchange.asmx"))).Server);
        }

        using var admin = proxy.CreateAdminClient();
        var csv = (await admin.GetStringAsync("/;csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var status = Array.IndexOf(csv[0][2..].Split(','), "status");
        var ews = csv.Skip(1).Select(line => line.Split(',')).Where(r => r[0] == "ews").ToDictionary(r => r[1], r => r[status]);
        Assert.Equal(("UP", "DRAIN"), (ews["exchange1"], ews["exchange2"]));
    }

    [Fact]
    public async Task Leastconn_sends_new_requests_away_from_a_busy_server()
    {
        var config = Config().Service("ews", new JsonObject { ["Balance"] = "LeastConn" });
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        // One slow request holds a server; while it runs, every new request goes to the other one.
        var slow = client.GetAsync("/EWS/slow?delayMs=3000");
        await Eventually.TrueAsync(() => Exchange1.InFlight + Exchange2.InFlight == 1, "the slow request reached a server");
        var busy = Exchange1.InFlight == 1 ? "exchange1" : "exchange2";
        var others = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            others.Add((await EchoResponse.ReadAsync(await client.GetAsync("/EWS/fast"))).Server);
        }

        Assert.All(others, s => Assert.NotEqual(busy, s));
        Assert.Equal(busy, (await EchoResponse.ReadAsync(await slow)).Server);
    }

    [Fact]
    public async Task Source_hash_keeps_a_client_address_on_one_server_while_other_addresses_spread()
    {
        await using var proxy = await RunningProxy.StartAsync(Config().Service("ews", new JsonObject { ["Balance"] = "SourceHash" }));

        var byAddress = new Dictionary<int, HashSet<string>>();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 2; i <= 17; i++)
            {
                // A new connection each time, from 127.0.0.i.
                using var client = proxy.CreateClientFrom(IPAddress.Parse($"127.0.0.{i}"));
                var server = (await EchoResponse.ReadAsync(await client.GetAsync("/EWS/Exchange.asmx"))).Server;
                (byAddress.TryGetValue(i, out var seen) ? seen : byAddress[i] = []).Add(server);
            }
        }

        Assert.All(byAddress.Values, servers => Assert.Single(servers));
        Assert.Equal(2, byAddress.Values.Select(s => s.Single()).Distinct().Count());
    }

    [Fact]
    public async Task A_disabled_service_is_not_routed()
    {
        await using var proxy = await RunningProxy.StartAsync(Config().Service("powershell", new JsonObject { ["Enabled"] = false }));
        using var client = proxy.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/PowerShell/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
    }

    [Fact]
    public async Task A_service_can_be_narrowed_to_some_servers()
    {
        await using var proxy = await RunningProxy.StartAsync(Config().Service("oab", new JsonObject { ["Servers"] = new JsonArray("exchange2") }));
        using var client = proxy.CreateClient();

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("exchange2", (await EchoResponse.ReadAsync(await client.GetAsync("/OAB/oab.xml"))).Server);
        }
    }

    [Fact]
    public async Task Routes_in_yarps_own_schema_work_beside_the_generated_ones()
    {
        var config = Config();
        config.Root["ReverseProxy"] = JsonNode.Parse($$"""
            {
              "Routes": { "legacy": { "ClusterId": "legacy", "Match": { "Path": "/legacy/{**rest}" } } },
              "Clusters": { "legacy": {
                "HttpClient": { "DangerousAcceptAnyServerCertificate": true },
                "Destinations": { "only": { "Address": "{{Exchange2.Address}}" } } } }
            }
            """);
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        var echo = await EchoResponse.ReadAsync(await client.GetAsync("/legacy/page"));
        Assert.Equal("exchange2", echo.Server);
        Assert.Equal("/legacy/page", echo.Path);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
    }
}
