using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ExchangeProxy.Tests.Configuration;

/// <summary>An edit to any section of the file takes effect without a restart; a refused edit changes nothing at all.</summary>
public sealed class SectionReloadTests : TwoCasServersTest
{
    private static async Task ReloadAsync(RunningProxy proxy, ProxyConfig config)
    {
        var store = proxy.Services.GetRequiredService<ProxyModelStore>();
        var before = store.LastLoaded;
        config.WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(() => store.LastLoaded != before, "the edit is accepted");
    }

    private static async Task RefuseAsync(RunningProxy proxy, ProxyConfig config, string key)
    {
        var store = proxy.Services.GetRequiredService<ProxyModelStore>();
        var before = store.LastRejected;
        config.WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(() => store.LastRejected != before, "the edit is refused");
        Assert.Contains(store.LastErrors, e => e.Key == key);
    }

    private static int FreePort() => FakeTcpServer.FreePortOn(IPAddress.Loopback);

    // Self-signed test certificates on both sides of the proxy; which server answered is read from the body.
    private static HttpClient ClientFor(int port) =>
        new(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null } })
        {
            BaseAddress = new Uri($"https://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(10),
        };

    private static async Task<string?> ServerBehindAsync(int port)
    {
        try
        {
            using var client = ClientFor(port);
            return (await EchoResponse.ReadAsync(await client.GetAsync("/owa/"))).Server;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static async Task<bool> RefusedAsync(int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    [Fact]
    public async Task Servers_a_server_added_takes_requests()
    {
        var config = Config();
        var second = config.Section["Servers"]![1]!.DeepClone();
        config.Section["Servers"]!.AsArray().RemoveAt(1);
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        config.Section["Servers"]!.AsArray().Add(second);
        await ReloadAsync(proxy, config);

        await Eventually.TrueAsync(async () => (await EchoResponse.ReadAsync(await client.GetAsync("/owa/"))).Server == "exchange2",
            "exchange2 takes requests");
    }

    [Fact]
    public async Task Listeners_a_layer_4_listener_is_added_moved_and_removed()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        var first = FreePort();
        var listener = new JsonObject { ["Listen"] = $"127.0.0.1:{first}", ["Port"] = Exchange1.Port, ["Servers"] = new JsonArray("exchange1") };

        await ReloadAsync(proxy, config.Listener("passthrough", listener));
        await Eventually.TrueAsync(async () => await ServerBehindAsync(first) == "exchange1", "the added listener passes TLS through to exchange1");

        var second = FreePort();
        listener["Listen"] = $"127.0.0.1:{second}";
        await ReloadAsync(proxy, config);
        await Eventually.TrueAsync(async () => await ServerBehindAsync(second) == "exchange1", "the moved listener answers on its new port");
        await Eventually.TrueAsync(() => RefusedAsync(first), "the old port is closed");

        config.Section.Remove("Listeners");
        await ReloadAsync(proxy, config);
        await Eventually.TrueAsync(() => RefusedAsync(second), "the removed listener's port is closed");
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
    }

    [Fact]
    public async Task Protection_a_path_made_internal_only_is_refused_to_others()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ecp/")).StatusCode);

        config.Section["Protection"] = new JsonObject { ["InternalOnly"] = new JsonObject { ["/ecp"] = new JsonArray("10.0.0.0/8") } };
        await ReloadAsync(proxy, config);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/ecp/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
    }

    [Fact]
    public async Task Admin_an_api_key_and_then_a_user_are_required_from_the_next_request_on()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var admin = proxy.CreateAdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/servers")).StatusCode);

        config.Section["Admin"]!["ApiKeySha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("s3cret")));
        await ReloadAsync(proxy, config);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/api/servers")).StatusCode);
        using var keyed = proxy.CreateAdminClient("s3cret");
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/api/servers")).StatusCode);

        config.Section["Admin"]!.AsObject().Remove("ApiKeySha256");
        config.Section["Admin"]!["Users"] = new JsonArray(new JsonObject { ["Name"] = "ops", ["PasswordHash"] = PasswordHash.Create("pa55word") });
        await ReloadAsync(proxy, config);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.GetAsync("/api/servers")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/servers");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:pa55word")));
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Redis_added_by_a_reload_shares_the_stick_table()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = Config().Service("owa", new JsonObject { ["Affinity"] = new JsonObject { ["Mode"] = "ClientIp" } });
        await using var proxy = await RunningProxy.StartAsync(config);

        config.Section["Redis"] = new JsonObject { ["Configuration"] = redis.Configuration };
        await ReloadAsync(proxy, config);
        await Eventually.TrueAsync(
            () => proxy.Logs.Entries.All(e => !e.Message.Contains("Redis is unreachable", StringComparison.Ordinal))
                  && proxy.Services.GetRequiredService<ExchangeProxy.Balancing.StickTables>().Store?.Counters.Reachable == true,
            "the proxy connects to the Redis the reload named");
        using var client = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.3"));
        var server = (await EchoResponse.ReadAsync(await client.GetAsync("/owa/"))).Server;

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var database = connection.GetDatabase();
        await Eventually.TrueAsync(async () => await database.StringGetAsync("exchangeproxy:stick:owa:127.0.0.3") == server,
            "the stick entry reaches Redis");
    }

    [Fact]
    public async Task Trusted_proxies_added_by_a_reload_are_believed()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        async Task<string?> ForwardedFor()
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/");
            request.Headers.Add("X-Forwarded-For", "203.0.113.9");
            return (await EchoResponse.ReadAsync(await client.SendAsync(request))).Header("X-Forwarded-For");
        }

        Assert.Equal("127.0.0.1", await ForwardedFor());
        config.Section["TrustedProxies"] = new JsonArray("127.0.0.1");
        await ReloadAsync(proxy, config);
        Assert.Equal("203.0.113.9", await ForwardedFor());
    }

    [Fact]
    public async Task Shutdown_grace_period_changed_by_a_reload_is_what_sigterm_waits()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);

        config.Section["ShutdownGracePeriod"] = "00:00:07";
        await ReloadAsync(proxy, config);

        Assert.Equal(TimeSpan.FromSeconds(7), proxy.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task A_setting_read_only_at_start_is_named_in_a_warning_when_it_changes()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);

        config.Root["Kestrel"]!["Limits"] = new JsonObject { ["MaxRequestHeadersTotalSize"] = 131072 };
        await ReloadAsync(proxy, config);

        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains("Kestrel:Limits:MaxRequestHeadersTotalSize", StringComparison.Ordinal)
            && e.Message.Contains("next restart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_edit_neither_moves_the_listener_nor_adds_a_route_and_the_next_good_edit_does_both()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        var moved = FreePort();
        config.Root["Kestrel"]!["Endpoints"]!["Https"]!["Url"] = $"https://127.0.0.1:{moved}";
        config.Root["ReverseProxy"] = new JsonObject
        {
            ["Routes"] = new JsonObject { ["custom"] = new JsonObject { ["ClusterId"] = "custom", ["Match"] = new JsonObject { ["Path"] = "/custom/{**rest}" } } },
            ["Clusters"] = new JsonObject
            {
                ["custom"] = new JsonObject
                {
                    ["Destinations"] = new JsonObject { ["one"] = new JsonObject { ["Address"] = Exchange1.Address } },
                    ["HttpClient"] = new JsonObject { ["DangerousAcceptAnyServerCertificate"] = true },
                },
            },
        };
        config.Section["Servers"]![0]!["Weight"] = 999;

        await RefuseAsync(proxy, config, "ExchangeProxy:Servers:0:Weight");
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/custom/x")).StatusCode);
        Assert.True(await RefusedAsync(moved));

        config.Section["Servers"]![0]!["Weight"] = 2;
        await ReloadAsync(proxy, config);
        await Eventually.TrueAsync(async () => await ServerBehindAsync(moved) is not null, "the listener moved");
        using var movedClient = ClientFor(moved);
        Assert.Equal("exchange1", (await EchoResponse.ReadAsync(await movedClient.GetAsync("/custom/x"))).Server);
    }
}
