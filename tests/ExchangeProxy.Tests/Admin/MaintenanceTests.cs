using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Admin;

public sealed class MaintenanceTests : TwoCasServersTest, IDisposable
{
    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("exproxy-state-").FullName;

    protected override bool WindowsAuth => true;

    private string StateFile => Path.Combine(_stateDirectory, "state.json");

    private ProxyConfig StickyOwa()
    {
        var config = Config().Service("owa", new JsonObject { ["Affinity"] = new JsonObject { ["Mode"] = "ClientIp" } });
        config.Section["Admin"]!["StateFile"] = StateFile;
        return config;
    }

    private static async Task<string> OwaServerOf(RunningProxy proxy, int client)
    {
        using var http = proxy.CreateClientFrom(IPAddress.Parse($"127.0.0.{client}"));
        using var response = await http.GetAsync("/owa/");
        return (await EchoResponse.ReadAsync(response)).Server;
    }

    private static async Task<JsonElement> PostAsync(HttpClient admin, string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await admin.PostAsync(path, content: null);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    [Fact]
    public async Task Drain_sends_new_clients_elsewhere_while_sticky_clients_and_pinned_connections_stay()
    {
        await using var proxy = await RunningProxy.StartAsync(StickyOwa());
        using var admin = proxy.CreateAdminClient();

        // A sticky OWA client on exchange1, and an Outlook connection signed in to exchange1.
        var sticky = Enumerable.Range(2, 10).First(n => OwaServerOf(proxy, n).GetAwaiter().GetResult() == "exchange1");
        var outlooks = Enumerable.Range(0, 2).Select(i => new SigningInClient(proxy, $"user{i}")).ToList();
        var signedIn = await Task.WhenAll(outlooks.Select(o => o.SignInAsync("/EWS/Exchange.asmx")));
        var pinned = outlooks[Array.FindIndex(signedIn, s => s.Server == "exchange1")];

        var drained = await PostAsync(admin, "/api/servers/exchange1/drain");
        Assert.Equal("drain", drained.GetProperty("state").GetString());
        Assert.Equal("all", drained.GetProperty("service").GetString());

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("exchange1", await OwaServerOf(proxy, sticky));
            Assert.Equal("exchange1", (await pinned.WhoAmIAsync("/EWS/Exchange.asmx")).Server);
        }

        for (var n = 20; n < 26; n++)
        {
            Assert.Equal("exchange2", await OwaServerOf(proxy, n));
        }

        using var newcomer = new SigningInClient(proxy, "newcomer");
        Assert.Equal("exchange2", (await newcomer.SignInAsync("/EWS/Exchange.asmx")).Server);
        Assert.Equal(1, pinned.Connections);
        outlooks.ForEach(o => o.Dispose());
    }

    [Fact]
    public async Task Maint_takes_a_server_out_at_once_for_one_service_and_survives_a_restart()
    {
        var config = StickyOwa();
        await using (var proxy = await RunningProxy.StartAsync(config))
        {
            using var admin = proxy.CreateAdminClient();
            var sticky = Enumerable.Range(2, 10).First(n => OwaServerOf(proxy, n).GetAwaiter().GetResult() == "exchange1");

            await PostAsync(admin, "/api/servers/exchange1/maint?service=OWA");

            Assert.Equal("exchange2", await OwaServerOf(proxy, sticky));
            Assert.Equal("exchange2", await OwaServerOf(proxy, 30));
            Assert.Equal(2, (await ServersOf(proxy, "/ecp/")).Count);
            var servers = await admin.GetFromJsonAsync<JsonElement>("/api/servers");
            var owa = servers.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa");
            Assert.Equal("maint", owa.GetProperty("servers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "exchange1").GetProperty("admin").GetString());
        }

        Assert.Contains("maint", await File.ReadAllTextAsync(StateFile), StringComparison.Ordinal);
        await using (var restarted = await RunningProxy.StartAsync(config))
        {
            Assert.Equal(["exchange2"], await ServersOf(restarted, "/owa/"));
            Assert.Contains(restarted.Logs.Entries, e => e.Message.Contains(
                "Server \"exchange1\" is \"ready, owa maint\" from the state file", StringComparison.Ordinal));

            using var admin = restarted.CreateAdminClient();
            await PostAsync(admin, "/api/servers/exchange1/ready");
            // OWA is sticky: new clients show that exchange1 is back.
            var newcomers = new HashSet<string>();
            for (var n = 40; n < 44; n++)
            {
                newcomers.Add(await OwaServerOf(restarted, n));
            }

            Assert.Equal(["exchange1", "exchange2"], newcomers.Order());
        }
    }

    [Fact]
    public async Task Shutdown_sessions_closes_the_connections_pinned_to_the_server_and_they_sign_in_again()
    {
        await using var proxy = await RunningProxy.StartAsync(StickyOwa());
        using var admin = proxy.CreateAdminClient();
        var outlooks = Enumerable.Range(0, 4).Select(i => new SigningInClient(proxy, $"user{i}")).ToList();
        var signedIn = await Task.WhenAll(outlooks.Select(o => o.SignInAsync("/EWS/Exchange.asmx")));
        var pins = proxy.Services.GetRequiredService<ExchangeProxy.WindowsAuth.PinnedConnections>();
        Assert.Equal(4, pins.Count);

        var shut = await PostAsync(admin, "/api/servers/exchange1/shutdown-sessions");
        var onExchange1 = signedIn.Count(s => s.Server == "exchange1");
        Assert.Equal(onExchange1, shut.GetProperty("pinnedConnections").GetInt32());
        await Eventually.TrueAsync(() => pins.Count == 4 - onExchange1, "the connections pinned to exchange1 closed");

        // The others carry on over their connection; the closed ones sign in again over a new one.
        for (var i = 0; i < outlooks.Count; i++)
        {
            if (signedIn[i].Server == "exchange1")
            {
                await outlooks[i].SignInAsync("/EWS/Exchange.asmx");
                Assert.Equal(2, outlooks[i].Connections);
            }
            else
            {
                Assert.Equal("exchange2", (await outlooks[i].WhoAmIAsync("/EWS/Exchange.asmx")).Server);
                Assert.Equal(1, outlooks[i].Connections);
            }
        }

        outlooks.ForEach(o => o.Dispose());
    }

    [Fact]
    public async Task The_api_needs_its_key_when_one_is_configured_and_health_does_not()
    {
        var config = StickyOwa();
        config.Section["Admin"]!["ApiKeySha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("s3cret")));
        await using var proxy = await RunningProxy.StartAsync(config);

        using var anonymous = proxy.CreateAdminClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/servers")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/servers/exchange1/maint", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
        using var wrong = proxy.CreateAdminClient("guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/servers")).StatusCode);

        using var keyed = proxy.CreateAdminClient("s3cret");
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync("/api/servers")).StatusCode);
        using var bearer = proxy.CreateAdminClient();
        bearer.DefaultRequestHeaders.Authorization = new("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await bearer.GetAsync("/api/servers")).StatusCode);
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public async Task Bad_requests_get_a_clear_error_and_change_nothing()
    {
        var config = StickyOwa();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var admin = proxy.CreateAdminClient();

        var unknown = await PostAsync(admin, "/api/servers/exchange9/maint", HttpStatusCode.NotFound);
        Assert.Equal("unknown server 'exchange9'; the servers are exchange1, exchange2", unknown.GetProperty("error").GetString());
        var action = await PostAsync(admin, "/api/servers/exchange1/reboot", HttpStatusCode.BadRequest);
        Assert.Equal("'reboot' is not drain, maint or ready", action.GetProperty("error").GetString());
        var service = await PostAsync(admin, "/api/servers/exchange1/maint?service=smtp", HttpStatusCode.NotFound);
        Assert.StartsWith("'smtp' is not a service of exchange1; its services are owa, ecp", service.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/owa/")).StatusCode);

        // A state file that cannot be written: nothing changes.
        Directory.Delete(_stateDirectory, recursive: true);
        File.WriteAllText(_stateDirectory, "a file where the state directory was");
        var unwritable = await PostAsync(admin, "/api/servers/exchange1/maint", HttpStatusCode.InternalServerError);
        Assert.StartsWith("nothing changed: cannot write the state file", unwritable.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, (await ServersOf(proxy, "/ecp/")).Count);
        File.Delete(_stateDirectory);
    }

    private static async Task<HashSet<string>> ServersOf(RunningProxy proxy, string path)
    {
        using var client = proxy.CreateClient();
        var servers = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync(path);
            servers.Add((await EchoResponse.ReadAsync(response)).Server);
        }

        return servers;
    }

    public void Dispose()
    {
        if (Directory.Exists(_stateDirectory))
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
    }
}
