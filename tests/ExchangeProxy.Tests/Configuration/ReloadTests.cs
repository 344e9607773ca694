using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Configuration;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Configuration;

public sealed class ReloadTests : TwoCasServersTest
{
    [Fact]
    public async Task A_bad_edit_is_refused_and_logged_by_key_and_a_later_good_edit_applies()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);

        config.Service("owa", new JsonObject { ["Servers"] = new JsonArray("exchange3") }).WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(
            () => proxy.Logs.Entries.Any(e => e.Level == LogLevel.Error && e.Message.Contains("ExchangeProxy:Services:owa:Servers:0", StringComparison.Ordinal)),
            "the refused edit is logged with its key");
        var servers = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            servers.Add((await EchoResponse.ReadAsync(await client.GetAsync("/owa/"))).Server);
        }

        Assert.Equal(["exchange1", "exchange2"], servers.Order());

        config.Service("owa", new JsonObject { ["Enabled"] = false }).WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(async () => (await client.GetAsync("/owa/")).StatusCode == HttpStatusCode.NotFound,
            "the good edit switches OWA off");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ecp/")).StatusCode);
        Assert.Null(proxy.Services.GetRequiredService<ProxyModelStore>().Current.Services.FirstOrDefault(s => s.Name == "owa"));
    }

    [Fact]
    public async Task A_file_saved_half_written_keeps_the_listeners_and_routes()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        var broken = Path.Combine(Path.GetDirectoryName(proxy.ConfigPath)!, "broken.json");
        await File.WriteAllTextAsync(broken, config.ToJson()[..^40]);
        File.Move(broken, proxy.ConfigPath, overwrite: true);
        await Eventually.TrueAsync(
            () => proxy.Logs.Entries.Any(e => e.Level == LogLevel.Error && e.Message.Contains("rejected", StringComparison.Ordinal)),
            "the unreadable file is logged");

        // A new connection: the listener is still bound, and the routes still answer.
        using var fresh = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/owa/")).StatusCode);
        Assert.NotNull(proxy.Services.GetRequiredService<ProxyModelStore>().LastRejected);
    }

    [Fact]
    public async Task An_edit_that_would_leave_no_route_is_refused()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        foreach (var vdir in ExchangeVirtualDirectories.All)
        {
            config.Service(vdir.Name, new JsonObject { ["Enabled"] = false });
        }

        config.WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(
            () => proxy.Logs.Entries.Any(e => e.Level == LogLevel.Error && e.Message.Contains("route nothing", StringComparison.Ordinal)),
            "the emptying edit is refused");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
    }
}
