using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ExchangeProxy.Hosting;
using ExchangeProxy.Statistics;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Tcp;

/// <summary>Layer-4 listeners between real sockets: two plain backends on 127.0.0.21 and .22 sharing a port.</summary>
public sealed class TcpListenerTests : IAsyncLifetime
{
    private static readonly IPAddress First = IPAddress.Parse("127.0.0.21");
    private static readonly IPAddress Second = IPAddress.Parse("127.0.0.22");

    private readonly TestCertificate _certificate = new();
    private FakeTcpServer _backend1 = null!;
    private FakeTcpServer _backend2 = null!;

    public async Task InitializeAsync()
    {
        var port = FakeTcpServer.FreePortOn(First, Second);
        _backend1 = new FakeTcpServer("backend1", FakeTcpMode.Echo, First, port);
        _backend2 = new FakeTcpServer("backend2", FakeTcpMode.Echo, Second, port);
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _backend1.DisposeAsync();
        await _backend2.DisposeAsync();
        _certificate.Dispose();
    }

    private ProxyConfig Config(JsonObject listener, string name = "tcp")
    {
        var config = new ProxyConfig(_certificate);
        config.Server("backend1", $"{First}:{_backend1.EndPoint.Port}").Server("backend2", $"{Second}:{_backend2.EndPoint.Port}");
        // Layer 7 stays out of the way: the HTTP services would probe these plain backends.
        foreach (var service in new[] { "owa", "ecp", "ews", "activesync", "rpc", "mapi", "oab", "autodiscover", "powershell" })
        {
            config.Service(service, new JsonObject { ["Enabled"] = false });
        }

        listener["Listen"] ??= "127.0.0.1:0";
        listener["Port"] ??= _backend1.EndPoint.Port;
        return config.Listener(name, listener);
    }

    /// <summary>Clients connected through the listener, each with the backend that greeted it.</summary>
    private static async Task<List<(TcpTestClient Client, string? Backend)>> ConnectAsync(RunningProxy proxy, int count)
    {
        var clients = new List<(TcpTestClient Client, string? Backend)>();
        for (var i = 0; i < count; i++)
        {
            var client = await TcpTestClient.ConnectAsync(proxy.TcpListener("tcp"));
            clients.Add((client, await client.ReadLineAsync()));
        }

        return clients;
    }

    /// <summary>backend1's clients see their connection end; the others' still carry data both ways.</summary>
    private static async Task OnlyBackend1sClientsEndAsync(List<(TcpTestClient Client, string? Backend)> clients)
    {
        foreach (var (client, backend) in clients)
        {
            if (backend == "backend1")
            {
                Assert.True(await client.ClosedAsync(TimeSpan.FromSeconds(10)), "backend1's client connection ends");
            }
            else
            {
                await client.WriteAsync("still there?\n");
                Assert.Equal("still there?", await client.ReadLineAsync());
            }

            await client.DisposeAsync();
        }
    }

    private static async Task<string?> GreetingAsync(RunningProxy proxy, string listener = "tcp", IPAddress? from = null)
    {
        await using var client = await TcpTestClient.ConnectAsync(proxy.TcpListener(listener), from);
        return await client.ReadLineAsync();
    }

    [Fact]
    public async Task A_backend_of_weight_0_takes_no_new_connection_and_shows_as_draining_on_the_stats_page_and_health()
    {
        var config = Config(new JsonObject());
        config.Section["Servers"]![1]!["Weight"] = 0;
        await using var proxy = await RunningProxy.StartAsync(config);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("backend1", await GreetingAsync(proxy));
        }

        using var admin = proxy.CreateAdminClient();
        var stats = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/;json")).RootElement;
        var rows = stats.GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "tcp")
            .GetProperty("servers").EnumerateArray().ToDictionary(r => r.GetProperty("server").GetString()!, r => r.GetProperty("state").GetString());
        Assert.Equal("UP", rows["backend1"]);
        Assert.Equal("DRAIN", rows["backend2"]);
        using var health = await admin.GetAsync("/health");
        Assert.Equal("Degraded", System.Text.Json.JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Round_robin_alternates_and_affinity_keeps_each_client_address_on_one_backend()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject())
            .Listener("sticky", new JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = _backend1.EndPoint.Port, ["Affinity"] = new JsonObject() }));

        var greetings = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            greetings.Add(await GreetingAsync(proxy));
        }

        Assert.Equal(["backend1", "backend2", "backend1", "backend2"], greetings);

        var first = await GreetingAsync(proxy, "sticky", IPAddress.Parse("127.0.0.5"));
        var second = await GreetingAsync(proxy, "sticky", IPAddress.Parse("127.0.0.6"));
        Assert.NotEqual(first, second);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(first, await GreetingAsync(proxy, "sticky", IPAddress.Parse("127.0.0.5")));
            Assert.Equal(second, await GreetingAsync(proxy, "sticky", IPAddress.Parse("127.0.0.6")));
        }
    }

    [Fact]
    public async Task Source_hash_sends_an_address_to_the_same_backend_without_a_table()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject { ["Balance"] = "SourceHash" }));

        var seen = new HashSet<string?>();
        for (var n = 30; n < 40; n++)
        {
            var answer = await GreetingAsync(proxy, from: IPAddress.Parse($"127.0.0.{n}"));
            Assert.Equal(answer, await GreetingAsync(proxy, from: IPAddress.Parse($"127.0.0.{n}")));
            seen.Add(answer);
        }

        Assert.Equal(["backend1", "backend2"], seen.Order());
    }

    [Fact]
    public async Task A_backend_killed_mid_stream_ends_its_clients_while_the_others_carry_on()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject { ["Check"] = new JsonObject { ["Type"] = "None" } }));
        var clients = await ConnectAsync(proxy, 4);

        foreach (var (client, _) in clients)
        {
            await client.WriteAsync("ping\n");
            Assert.Equal("ping", await client.ReadLineAsync());
        }

        _backend1.Kill();

        await OnlyBackend1sClientsEndAsync(clients);

        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Message.Contains("-> \"tcp\"/\"backend1\"", StringComparison.Ordinal)
            && (e.Message.EndsWith("ServerError", StringComparison.Ordinal) || e.Message.EndsWith("ServerClosed", StringComparison.Ordinal))),
            "the ended connections are logged with the server as the cause");
    }

    [Fact]
    public async Task Shutdown_sessions_ends_the_servers_connections_at_once_and_leaves_the_others()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject { ["Check"] = new JsonObject { ["Type"] = "None" } }));
        var clients = await ConnectAsync(proxy, 4);

        using var admin = proxy.CreateAdminClient();
        using var response = await admin.PostAsync("/api/servers/backend1/shutdown-sessions?service=tcp", content: null);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal(clients.Count(c => c.Backend == "backend1"), body.GetProperty("layer4Sessions").GetInt32());

        await OnlyBackend1sClientsEndAsync(clients);

        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Message.Contains("-> \"tcp\"/\"backend1\"", StringComparison.Ordinal)
            && e.Message.EndsWith("Killed", StringComparison.Ordinal)), "the ended sessions are logged as killed");
        // The server itself stays in service: new clients reach it again.
        var greetings = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            greetings.Add(await GreetingAsync(proxy));
        }

        Assert.Contains("backend1", greetings);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_on_another_backend_and_the_client_never_sees_it()
    {
        var config = Config(new JsonObject { ["Servers"] = new JsonArray("dead", "backend2"), ["Check"] = new JsonObject { ["Type"] = "None" } });
        config.Server("dead", $"127.0.0.23:{_backend1.EndPoint.Port}");
        await using var proxy = await RunningProxy.StartAsync(config);

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("backend2", await GreetingAsync(proxy));
        }

        // The first refusal takes "dead" out at once (passive health): no later client meets it.
        var statistics = proxy.Services.GetRequiredService<ServerStatistics>();
        Assert.Equal(1, statistics.For(ServerStatistics.Tcp, "tcp", "dead").ConnectErrors);
        Assert.Equal(1, statistics.For(ServerStatistics.Tcp, "tcp", "backend2").Redispatches);
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("\"backend2\"", StringComparison.Ordinal) && e.Message.Contains("1 retries", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_backend_the_probes_found_down_is_not_tried()
    {
        var config = Config(new JsonObject { ["Servers"] = new JsonArray("dead", "backend2") });
        config.Server("dead", $"127.0.0.23:{_backend1.EndPoint.Port}");
        await using var proxy = await RunningProxy.StartAsync(config);
        await ProbeRounds.FirstRoundAsync(proxy);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("backend2", await GreetingAsync(proxy));
        }

        Assert.Equal(0, proxy.Services.GetRequiredService<ServerStatistics>().For(ServerStatistics.Tcp, "tcp", "dead").ConnectErrors);
    }

    [Fact]
    public async Task A_silent_client_and_a_silent_server_are_cut_at_their_timeouts()
    {
        await using var hashing = new FakeTcpServer("hasher", FakeTcpMode.Hash, First, FakeTcpServer.FreePortOn(First));
        var config = Config(new JsonObject { ["ClientTimeout"] = "00:00:00.5" })
            .Listener("slow-server", new JsonObject
            {
                ["Listen"] = "127.0.0.1:0",
                ["Port"] = hashing.EndPoint.Port,
                ["Servers"] = new JsonArray("backend1"),
                ["ServerTimeout"] = "00:00:00.5",
            });
        await using var proxy = await RunningProxy.StartAsync(config);

        // The client's turn after the greeting: it says nothing.
        await using (var client = await TcpTestClient.ConnectAsync(proxy.TcpListener("tcp")))
        {
            Assert.NotNull(await client.ReadLineAsync());
            Assert.True(await client.ClosedAsync(TimeSpan.FromSeconds(5)));
        }

        // The server's turn after the client spoke: the hasher waits for the end of the data, silently.
        await using (var client = await TcpTestClient.ConnectAsync(proxy.TcpListener("slow-server")))
        {
            Assert.Equal("hasher", await client.ReadLineAsync());
            await client.WriteAsync("some data, and no end\n");
            Assert.True(await client.ClosedAsync(TimeSpan.FromSeconds(5)));
        }

        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Message.EndsWith("ClientTimeout", StringComparison.Ordinal))
            && proxy.Logs.Entries.Any(e => e.Message.EndsWith("ServerTimeout", StringComparison.Ordinal)), "both timeouts are logged");
    }

    [Fact]
    public async Task A_client_that_half_closes_still_gets_the_whole_answer()
    {
        await using var hashing = new FakeTcpServer("hasher", FakeTcpMode.Hash, First, FakeTcpServer.FreePortOn(First));
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject { ["Port"] = hashing.EndPoint.Port, ["Servers"] = new JsonArray("backend1") }));
        await using var client = await TcpTestClient.ConnectAsync(proxy.TcpListener("tcp"));
        Assert.Equal("hasher", await client.ReadLineAsync());
        var data = RandomNumberGenerator.GetBytes(1024 * 1024);

        await client.Stream.WriteAsync(data);
        client.ShutdownSend();

        Assert.Equal($"{Convert.ToHexString(SHA256.HashData(data))} {data.Length}", await client.ReadLineAsync());
        Assert.True(await client.ClosedAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_connection_in_flight_when_the_proxy_stops_finishes_within_the_grace_period()
    {
        await using var hashing = new FakeTcpServer("hasher", FakeTcpMode.Hash, First, FakeTcpServer.FreePortOn(First));
        var config = Config(new JsonObject { ["Port"] = hashing.EndPoint.Port, ["Servers"] = new JsonArray("backend1"), ["Check"] = new JsonObject { ["Type"] = "None" } });
        config.Section["ShutdownGracePeriod"] = "00:00:20";
        await using var proxy = await RunningProxy.StartAsync(config);
        var listener = proxy.TcpListener("tcp");
        await using var client = await TcpTestClient.ConnectAsync(listener);
        Assert.Equal("hasher", await client.ReadLineAsync());

        var stopping = proxy.StopAsync();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await using var late = await TcpTestClient.ConnectAsync(listener);
                return false;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return true;
            }
        }, "the listener refuses new connections");

        var data = RandomNumberGenerator.GetBytes(64 * 1024);
        await client.Stream.WriteAsync(data);
        client.ShutdownSend();
        Assert.Equal($"{Convert.ToHexString(SHA256.HashData(data))} {data.Length}", await client.ReadLineAsync());
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_relay_listener_lets_in_only_its_allowed_clients_and_nobody_without_a_list()
    {
        var config = Config(new JsonObject { ["Relay"] = true, ["AllowedClients"] = new JsonArray("127.0.0.5", "10.0.0.0/8") })
            .Listener("open-relay", new JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = _backend1.EndPoint.Port, ["Relay"] = true })
            .Listener("submission", new JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = _backend1.EndPoint.Port, ["AllowedClients"] = new JsonArray("127.0.0.6") });
        await using var proxy = await RunningProxy.StartAsync(config);

        Assert.NotNull(await GreetingAsync(proxy, from: IPAddress.Parse("127.0.0.5")));
        Assert.Null(await GreetingAsync(proxy, from: IPAddress.Parse("127.0.0.7")));
        Assert.Null(await GreetingAsync(proxy, "open-relay", IPAddress.Parse("127.0.0.5")));
        Assert.NotNull(await GreetingAsync(proxy, "submission", IPAddress.Parse("127.0.0.6")));
        Assert.Null(await GreetingAsync(proxy, "submission", IPAddress.Parse("127.0.0.5")));

        var statistics = proxy.Services.GetRequiredService<ServerStatistics>();
        Assert.Equal(1, statistics.ForListener("tcp").Refused);
        Assert.Equal(1, statistics.ForListener("open-relay").Refused);
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("NotAllowed", StringComparison.Ordinal)
            && e.Message.Contains("relay listener: not in AllowedClients", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_thousand_concurrent_connections_each_arrive_intact()
    {
        await using var hashing = new FakeTcpServer("hasher", FakeTcpMode.Hash, First, FakeTcpServer.FreePortOn(First));
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject
        {
            ["Port"] = hashing.EndPoint.Port,
            ["Servers"] = new JsonArray("backend1"),
            // No probe connections among the thousand counted.
            ["Check"] = new JsonObject { ["Type"] = "None" },
        }));
        var listener = proxy.TcpListener("tcp");

        var clients = await Task.WhenAll(Enumerable.Range(0, 1000).Select(_ => TcpTestClient.ConnectAsync(listener)));
        try
        {
            var answers = await Task.WhenAll(clients.Select(async client =>
            {
                Assert.Equal("hasher", await client.ReadLineAsync(TimeSpan.FromSeconds(60)));
                var data = RandomNumberGenerator.GetBytes(32 * 1024);
                await client.Stream.WriteAsync(data);
                client.ShutdownSend();
                return (Expected: $"{Convert.ToHexString(SHA256.HashData(data))} {data.Length}", Actual: await client.ReadLineAsync(TimeSpan.FromSeconds(60)));
            }));

            Assert.All(answers, a => Assert.Equal(a.Expected, a.Actual));
            Assert.Equal(1000, hashing.Connections);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Max_connections_closes_the_excess_and_says_so_once()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(new JsonObject { ["MaxConnections"] = 2, ["Check"] = new JsonObject { ["Type"] = "None" } }));
        var listener = proxy.TcpListener("tcp");
        await using var one = await TcpTestClient.ConnectAsync(listener);
        await using var two = await TcpTestClient.ConnectAsync(listener);
        Assert.NotNull(await one.ReadLineAsync());
        Assert.NotNull(await two.ReadLineAsync());

        for (var i = 0; i < 3; i++)
        {
            await using var excess = await TcpTestClient.ConnectAsync(listener);
            Assert.Null(await excess.ReadLineAsync());
        }

        Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("reached MaxConnections (2)", StringComparison.Ordinal));
        await one.DisposeAsync();
        var counters = proxy.Services.GetRequiredService<ServerStatistics>().ForListener("tcp");
        await Eventually.TrueAsync(() => Volatile.Read(ref counters.Active) == 1, "the closed connection is gone");
        await using var again = await TcpTestClient.ConnectAsync(listener);
        Assert.NotNull(await again.ReadLineAsync());
        Assert.Equal(3, counters.Refused);
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("is below MaxConnections (2) again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_proxy_protocol_carries_the_client_address_to_the_backend_and_across_two_hops()
    {
        await using var v1 = new FakeTcpServer("v1", FakeTcpMode.Echo, First, FakeTcpServer.FreePortOn(First), proxyHeader: true);
        await using var v2 = new FakeTcpServer("v2", FakeTcpMode.Echo, Second, FakeTcpServer.FreePortOn(Second), proxyHeader: true);
        var config = Config(new JsonObject { ["Port"] = v1.EndPoint.Port, ["Servers"] = new JsonArray("backend1"), ["SendProxy"] = "V1" })
            .Listener("v2", new JsonObject
            {
                ["Listen"] = "127.0.0.1:0",
                ["Port"] = v2.EndPoint.Port,
                ["Servers"] = new JsonArray("backend2"),
                ["SendProxy"] = "V2",
                ["AcceptProxy"] = true,
                ["AcceptProxyFrom"] = new JsonArray("127.0.0.1/32"),
            });
        await using var proxy = await RunningProxy.StartAsync(config);

        Assert.Equal("v1", await GreetingAsync(proxy, from: IPAddress.Parse("127.0.0.5")));
        var header = Assert.Single(v1.ProxyHeaders);
        Assert.Matches(@"^PROXY TCP4 127\.0\.0\.5 127\.0\.0\.1 \d+ \d+$", header);

        // An upstream relay names its client; the proxy passes that client on.
        await using (var relayed = await TcpTestClient.ConnectAsync(proxy.TcpListener("v2")))
        {
            await relayed.WriteAsync("PROXY TCP4 203.0.113.7 192.0.2.1 40000 25\r\n");
            Assert.Equal("v2", await relayed.ReadLineAsync());
        }

        Assert.Equal("v2 203.0.113.7:40000", Assert.Single(v2.ProxyHeaders));

        await using (var garbage = await TcpTestClient.ConnectAsync(proxy.TcpListener("v2")))
        {
            await garbage.WriteAsync("HELLO\r\n");
            Assert.Null(await garbage.ReadLineAsync());
        }

        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("ProxyHeaderInvalid", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_proxy_header_is_believed_only_from_the_load_balancers_listed_and_a_listener_that_accepts_one_must_list_them()
    {
        await using var backend = new FakeTcpServer("backend", FakeTcpMode.Echo, Second, FakeTcpServer.FreePortOn(Second), proxyHeader: true);
        var relay = new JsonObject
        {
            ["Listen"] = "127.0.0.1:0",
            ["Port"] = backend.EndPoint.Port,
            ["Servers"] = new JsonArray("backend2"),
            ["SendProxy"] = "V1",
            ["AcceptProxy"] = true,
        };
        var unlisted = Config(new JsonObject { ["Port"] = backend.EndPoint.Port, ["Servers"] = new JsonArray("backend2") }).Listener("relay", relay.DeepClone().AsObject());
        var refused = await Assert.ThrowsAsync<ConfigurationRejectedException>(() => RunningProxy.StartAsync(unlisted));
        Assert.Contains("AcceptProxy", refused.Message, StringComparison.Ordinal);
        Assert.Contains("TrustedProxies", refused.Message, StringComparison.Ordinal);

        var config = Config(new JsonObject { ["Port"] = backend.EndPoint.Port, ["Servers"] = new JsonArray("backend2") }).Listener("relay", relay);
        config.Section["TrustedProxies"] = new JsonArray("127.0.0.9");
        await using var proxy = await RunningProxy.StartAsync(config);

        // Anyone else claiming a client address is closed on, and the server sees nothing.
        await using (var spoofer = await TcpTestClient.ConnectAsync(proxy.TcpListener("relay"), from: IPAddress.Parse("127.0.0.3")))
        {
            await spoofer.WriteAsync("PROXY TCP4 10.1.2.3 192.0.2.1 40000 25\r\n");
            Assert.Null(await spoofer.ReadLineAsync());
        }

        Assert.Empty(backend.ProxyHeaders);
        Assert.Contains(proxy.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("ProxyNotTrusted", StringComparison.Ordinal)
            && e.Message.Contains("127.0.0.3", StringComparison.Ordinal));

        await using (var balancer = await TcpTestClient.ConnectAsync(proxy.TcpListener("relay"), from: IPAddress.Parse("127.0.0.9")))
        {
            await balancer.WriteAsync("PROXY TCP4 10.1.2.3 192.0.2.1 40000 25\r\n");
            Assert.Equal("backend", await balancer.ReadLineAsync());
        }

        Assert.Matches(@"^PROXY TCP4 10\.1\.2\.3 ", Assert.Single(backend.ProxyHeaders));
    }

    [Fact]
    public async Task Https_passes_through_and_the_client_sees_the_servers_own_certificate_chosen_by_server_name()
    {
        var port = FakeTcpServer.FreePortOn(First, Second);
        await using var cas1 = await FakeCasServer.StartAsync("exchange1", address: First, port: port);
        await using var cas2 = await FakeCasServer.StartAsync("exchange2", address: Second, port: port);
        var config = Config(new JsonObject
        {
            ["Port"] = port,
            ["Servers"] = new JsonArray("backend1"),
            ["Sni"] = new JsonObject { ["mail2.contoso.test"] = "second" },
        }, name: "https");
        config.Listener("second", new JsonObject { ["Port"] = port, ["Servers"] = new JsonArray("backend2") });
        await using var proxy = await RunningProxy.StartAsync(config);
        var listener = proxy.TcpListener("https");

        Assert.Equal("CN=exchange1.contoso.test", await CertificateSubjectAsync(listener, "mail.contoso.test"));
        Assert.Equal("CN=exchange2.contoso.test", await CertificateSubjectAsync(listener, "mail2.contoso.test"));

        // HTTPS end to end: the CAS server answers, the proxy never saw inside.
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => c?.Subject == "CN=exchange1.contoso.test" },
        });
        var echo = await EchoResponse.ReadAsync(await client.GetAsync($"https://127.0.0.1:{listener.Port}/owa/"));
        Assert.Equal("exchange1", echo.Server);

        await using var openssl = ProxyProcess.Start("openssl",
            ["s_client", "-connect", $"127.0.0.1:{listener.Port}", "-servername", "mail2.contoso.test", "-brief"]);
        openssl.CloseStdin();
        Assert.Equal(0, await openssl.ExitCodeAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("exchange2.contoso.test", openssl.Stdout + openssl.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The subject of the certificate the far end presents for <paramref name="serverName"/>.</summary>
    private static async Task<string> CertificateSubjectAsync(IPEndPoint listener, string serverName)
    {
        await using var client = await TcpTestClient.ConnectAsync(listener);
        await using var tls = new SslStream(client.Stream);
        X509Certificate? seen = null;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                seen = certificate;
                return certificate is not null;
            },
        });
        return seen!.Subject;
    }
}
