using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Health;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Health;

/// <summary>Probes through the running proxy, on a fake clock: one tick of it is one check interval.</summary>
public sealed class HealthMonitorTests : TwoCasServersTest
{
    private readonly FakeTimeProvider _time = new();

    private static async Task<HashSet<string>> ServersAnswering(RunningProxy proxy, string path, int requests = 6)
    {
        using var client = proxy.CreateClient();
        var servers = new HashSet<string>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync(path);
            servers.Add((await EchoResponse.ReadAsync(response)).Server);
        }

        return servers;
    }

    private static ServerStatus Status(RunningProxy proxy, string service, string server) =>
        proxy.Services.GetRequiredService<HealthStates>().Find(service, server)!;

    [Fact]
    public async Task A_failing_owa_check_takes_the_server_out_of_owa_after_fall_checks_and_back_after_rise()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(), _time);
        await ProbeRounds.FirstRoundAsync(proxy);
        var owa = Status(proxy, "owa", "exchange1");
        Assert.Equal(ProbeState.Up, owa.State);

        Exchange1.SetHealthCheck("owa", 503);
        await ProbeRounds.AdvanceUntilAsync(_time, proxy, "owa", "exchange1", owa.Checks + 2);
        Assert.Equal(ProbeState.Up, owa.State);
        Assert.Equal(["exchange1", "exchange2"], (await ServersAnswering(proxy, "/owa/")).Order());

        await ProbeRounds.AdvanceUntilAsync(_time, proxy, "owa", "exchange1", owa.Checks + 1);
        Assert.Equal(ProbeState.Down, owa.State);
        Assert.Equal(["exchange2"], await ServersAnswering(proxy, "/owa/"));
        // Only OWA left exchange1.
        Assert.Equal(ProbeState.Up, Status(proxy, "ews", "exchange1").State);
        Assert.Equal(["exchange1", "exchange2"], (await ServersAnswering(proxy, "/EWS/Exchange.asmx")).Order());
        var down = Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("is DOWN", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, down.Level);
        Assert.Contains("\"exchange1\" is DOWN for \"owa\": \"503 from /owa/healthcheck.htm\"", down.Message, StringComparison.Ordinal);

        Exchange1.SetHealthCheck("owa", 200);
        await ProbeRounds.AdvanceUntilAsync(_time, proxy, "owa", "exchange1", owa.Checks + 1);
        Assert.Equal(ProbeState.Down, owa.State);
        await ProbeRounds.AdvanceUntilAsync(_time, proxy, "owa", "exchange1", owa.Checks + 1);
        Assert.Equal(ProbeState.Up, owa.State);
        Assert.Equal(["exchange1", "exchange2"], (await ServersAnswering(proxy, "/owa/")).Order());
        Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("\"exchange1\" is UP for \"owa\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exchange_server_wide_offline_takes_the_server_out_of_every_service_without_the_operator()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(), _time);
        await ProbeRounds.FirstRoundAsync(proxy);

        Exchange1.ServerWideOffline = true;
        var statuses = proxy.Services.GetRequiredService<HealthStates>().All.Where(s => s.Server == "exchange1").ToList();
        foreach (var status in statuses)
        {
            await ProbeRounds.AdvanceUntilAsync(_time, proxy, status.Service, "exchange1", status.Checks + 3);
        }

        Assert.All(statuses, s => Assert.Equal(ProbeState.Down, s.State));
        Assert.Equal(["exchange2"], await ServersAnswering(proxy, "/owa/"));
        Assert.Equal(["exchange2"], await ServersAnswering(proxy, "/Microsoft-Server-ActiveSync"));
        using var admin = proxy.CreateAdminClient();
        using var health = await admin.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Degraded", JsonDocument.Parse(await health.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_stopped_server_leaves_every_pool()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(), _time);
        await ProbeRounds.FirstRoundAsync(proxy);

        await Exchange1.DisposeAsync();
        var statuses = proxy.Services.GetRequiredService<HealthStates>().All.Where(s => s.Server == "exchange1").ToList();
        foreach (var status in statuses)
        {
            await ProbeRounds.AdvanceUntilAsync(_time, proxy, status.Service, "exchange1", status.Checks + 3);
        }

        Assert.All(statuses, s => Assert.Equal(ProbeState.Down, s.State));
        Assert.All(statuses, s => Assert.Equal("refused", s.Last!.Detail));
        Assert.Equal(["exchange2"], await ServersAnswering(proxy, "/owa/"));
        Assert.Equal(["exchange2"], await ServersAnswering(proxy, "/mapi/emsmdb"));
    }

    [Fact]
    public async Task With_every_server_of_a_service_down_the_answer_is_a_quick_503_and_no_server_is_tried()
    {
        await using var proxy = await RunningProxy.StartAsync(
            Config().Service("ecp", new JsonObject { ["WhenAllDown"] = "UseAll" }), _time);
        await ProbeRounds.FirstRoundAsync(proxy);
        foreach (var server in new[] { Exchange1, Exchange2 })
        {
            server.SetHealthCheck("owa", 500);
            server.SetHealthCheck("ecp", 500);
        }

        foreach (var (service, server) in new[] { ("owa", "exchange1"), ("owa", "exchange2"), ("ecp", "exchange1"), ("ecp", "exchange2") })
        {
            await ProbeRounds.AdvanceUntilAsync(_time, proxy, service, server, Status(proxy, service, server).Checks + 3);
        }

        using var client = proxy.CreateClient();
        var requests = Exchange1.Requests + Exchange2.Requests;
        using var refused = await client.GetAsync("/owa/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("503 No Exchange server is available for this service.\n", await refused.Content.ReadAsStringAsync());
        Assert.Equal(requests, Exchange1.Requests + Exchange2.Requests);

        // Panic mode: ECP tries its servers anyway.
        using var panic = await client.GetAsync("/ecp/");
        Assert.Equal(HttpStatusCode.OK, panic.StatusCode);

        using var admin = proxy.CreateAdminClient();
        using var health = await admin.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using var publicHealth = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, publicHealth.StatusCode);
        Assert.Equal("Unhealthy", await publicHealth.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_answers_healthy_then_ready_only_after_the_first_round_with_detail_on_the_admin_listener_only()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var config = Config();
        config.Section["Servers"]!.AsArray().Add(new JsonObject
        {
            ["Name"] = "silent",
            ["Address"] = $"127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}",
        });
        foreach (var service in new[] { "owa", "ecp", "ews", "activesync", "rpc", "mapi", "oab", "autodiscover", "powershell" })
        {
            config.Service(service, new JsonObject { ["Servers"] = new JsonArray("exchange1", "exchange2") });
        }

        config.Service("owa", new JsonObject());
        await using var proxy = await RunningProxy.StartAsync(config, _time);
        using var client = proxy.CreateClient();
        using var admin = proxy.CreateAdminClient();

        // The silent server holds its first probe until the check timeout, which the fake clock has not reached.
        await Eventually.TrueAsync(() => Status(proxy, "owa", "exchange1").Checks > 0 && Status(proxy, "owa", "exchange2").Checks > 0,
            "the answering servers are probed");
        using (var notReady = await client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        _time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => Status(proxy, "owa", "silent").State == ProbeState.Down, "the silent server times out");
        Assert.Equal("timeout after 10 s", Status(proxy, "owa", "silent").Last!.Detail);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        using var publicHealth = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, publicHealth.StatusCode);
        Assert.Equal("Degraded", await publicHealth.Content.ReadAsStringAsync());

        using var detailed = await admin.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, detailed.StatusCode);
        var root = JsonDocument.Parse(await detailed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Degraded", root.GetProperty("status").GetString());
        var owa = root.GetProperty("entries").GetProperty("owa");
        Assert.Equal("Degraded", owa.GetProperty("status").GetString());
        Assert.Equal("2 of 3 servers usable", owa.GetProperty("description").GetString());
        var silentServer = owa.GetProperty("data").GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "silent");
        Assert.Equal("DOWN", silentServer.GetProperty("state").GetString());
        Assert.Equal("READY", silentServer.GetProperty("admin").GetString());
        Assert.Equal("timeout after 10 s", silentServer.GetProperty("lastCheck").GetProperty("detail").GetString());
        Assert.Equal("Http", silentServer.GetProperty("lastCheck").GetProperty("type").GetString());
        Assert.Equal("Healthy", root.GetProperty("entries").GetProperty("ews").GetProperty("status").GetString());

        // The public listener says nothing about the servers, and serves no admin API.
        using var api = await client.GetAsync("/api/servers");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
    }

    [Fact]
    public async Task Every_server_usable_is_healthy()
    {
        await using var proxy = await RunningProxy.StartAsync(Config(), _time);
        await ProbeRounds.FirstRoundAsync(proxy);
        using var client = proxy.CreateClient();

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }
}
