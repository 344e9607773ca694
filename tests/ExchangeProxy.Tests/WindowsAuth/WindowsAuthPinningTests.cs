using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;
using ExchangeProxy.WindowsAuth;

namespace ExchangeProxy.Tests.WindowsAuth;

public sealed class WindowsAuthPinningTests : TwoCasServersTest
{
    private const string Ews = "/EWS/Exchange.asmx";

    protected override bool WindowsAuth => true;

    [Fact]
    public async Task Twenty_clients_sign_in_at_once_and_each_keeps_its_own_server_connection()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        proxy.Services.GetRequiredService<PinnedConnections>();
        using var meter = new MetricReader(proxy, PinnedConnections.InstrumentName);

        var clients = Users(proxy, 20);

        var outcomes = await SignInConcurrentlyAsync(clients, requestsEach: 5);

        Assert.All(outcomes, o => Assert.Null(o.Failure));
        Assert.Equal(20, outcomes.Select(o => (o.Server, o.Connection)).Distinct().Count());
        Assert.Equal(0, Exchange1.WindowsAuth!.Violations + Exchange2.WindowsAuth!.Violations);
        Assert.Equal(20, proxy.Services.GetRequiredService<PinnedConnections>().Count);
        Assert.Equal(20, meter.Read());
        Assert.Equal(10, meter.Read("server=exchange1"));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Without_pinning_the_same_sign_ins_go_wrong()
    {
        await using var proxy = await RunningProxy.StartAsync(Config().Service("ews", new JsonObject { ["WindowsAuth"] = false }));

        var clients = Users(proxy, 20);

        var outcomes = await SignInConcurrentlyAsync(clients, requestsEach: 5);
        clients.ForEach(c => c.Dispose());

        // Legs land on pooled connections that did not issue their challenge, and signed-in pooled connections
        // answer other users' requests: the test above would see both.
        Assert.Contains(outcomes, o => o.Failure is not null);
        Assert.Equal(0, proxy.Services.GetRequiredService<PinnedConnections>().Count);
    }

    [Fact]
    public async Task A_route_of_yarps_own_schema_is_pinned_when_its_metadata_says_windows_auth()
    {
        var config = Config().Service("ews", new JsonObject { ["Enabled"] = false });
        config.Root["ReverseProxy"] = JsonNode.Parse($$"""
            {
              "Routes": { "my-ews": { "ClusterId": "my-ews", "Match": { "Path": "/EWS/{**rest}" },
                                      "Metadata": { "ExchangeProxy.WindowsAuth": "true" } } },
              "Clusters": { "my-ews": {
                "HttpClient": { "DangerousAcceptAnyServerCertificate": true },
                "Destinations": { "one": { "Address": "{{Exchange1.Address}}" }, "two": { "Address": "{{Exchange2.Address}}" } } } }
            }
            """);
        await using var proxy = await RunningProxy.StartAsync(config);
        var clients = Users(proxy, 10);

        var outcomes = await SignInConcurrentlyAsync(clients, requestsEach: 3);

        Assert.All(outcomes, o => Assert.Null(o.Failure));
        Assert.Equal(10, proxy.Services.GetRequiredService<PinnedConnections>().Count);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Requests_without_windows_auth_keep_using_pooled_connections()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        var connections = new HashSet<(string, int)>();
        for (var i = 0; i < 20; i++)
        {
            using var client = new SigningInClient(proxy, "nobody");
            var answer = await client.WhoAmIAsync("/EWS/anonymous");
            Assert.Null(answer.User);
            connections.Add((answer.Server, answer.Connection));
        }

        // Twenty client connections, one request each, served by the two servers' pooled connections.
        Assert.Equal(2, connections.Count);
        Assert.Equal(0, proxy.Services.GetRequiredService<PinnedConnections>().Count);
    }

    [Fact]
    public async Task A_signed_in_connection_also_pins_its_requests_for_other_services()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = new SigningInClient(proxy, "alice");
        var signedIn = await client.SignInAsync(Ews);

        Assert.Equal(signedIn, await client.WhoAmIAsync("/rpc/rpcproxy.dll"));
        // OWA does not use Windows auth, yet this connection's requests stay on its server.
        using var echo = await client.GetAsync("/owa/");
        Assert.Equal(signedIn.Server, (await EchoResponse.ReadAsync(echo)).Server);
        Assert.Equal(1, client.Connections);
    }

    [Fact]
    public async Task Clients_that_come_and_go_leave_no_server_connection_behind()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        for (var batch = 0; batch < 10; batch++)
        {
            var clients = Enumerable.Range(0, 10).Select(i => new SigningInClient(proxy, $"user{batch}-{i}")).ToList();
            await Task.WhenAll(clients.Select(c => c.SignInAsync(Ews)));
            clients.ForEach(c => c.Dispose());
        }

        var pins = proxy.Services.GetRequiredService<PinnedConnections>();
        await Eventually.TrueAsync(
            () => pins.Count == 0 && Exchange1.WindowsAuth!.OpenSignInConnections + Exchange2.WindowsAuth!.OpenSignInConnections == 0,
            "every pinned server connection of the 100 clients is closed");
        // What stays open is the pool that carried the anonymous first requests: at most one per concurrent client.
        Assert.InRange(Exchange1.WindowsAuth!.OpenRequestConnections + Exchange2.WindowsAuth!.OpenRequestConnections, 1, 10);
    }

    [Fact]
    public async Task A_server_stopped_closes_the_connections_pinned_to_it_once_the_probes_find_it_down()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        var clients = Enumerable.Range(0, 6).Select(i => new SigningInClient(proxy, $"user{i}")).ToList();
        var signedIn = await Task.WhenAll(clients.Select(c => c.SignInAsync(Ews)));
        Assert.Equal(3, signedIn.Count(s => s.Server == "exchange1"));

        var pins = proxy.Services.GetRequiredService<PinnedConnections>();
        await Exchange1.DisposeAsync();
        await Eventually.TrueAsync(() => pins.Count == 3, "the three connections pinned to exchange1 are closed once it is DOWN");
        for (var i = 0; i < clients.Count; i++)
        {
            if (signedIn[i].Server == "exchange2")
            {
                Assert.Equal(signedIn[i], await clients[i].WhoAmIAsync(Ews));
                Assert.Equal(1, clients[i].Connections);
            }
            else
            {
                // A new connection, not signed in: the client signs in again.
                using var response = await clients[i].GetAsync(Ews);
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.Equal(2, clients[i].Connections);
            }
        }

        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_pinned_server_that_leaves_the_service_gets_a_503_and_the_connection_closes()
    {
        var config = Config();
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = new SigningInClient(proxy, "alice");
        var first = await client.SignInAsync(Ews);
        var remaining = first.Server == "exchange1" ? "exchange2" : "exchange1";

        config.Service("ews", new JsonObject { ["Servers"] = new JsonArray(remaining) }).WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(async () =>
        {
            var servers = new HashSet<string>();
            for (var i = 0; i < 2; i++)
            {
                using var probe = new SigningInClient(proxy, "probe");
                servers.Add((await probe.WhoAmIAsync("/EWS/anonymous")).Server);
            }

            return servers.SetEquals([remaining]);
        }, "the edit takes the pinned server out of EWS");

        using var refused = await client.GetAsync(Ews);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.ConnectionClose);
        Assert.Contains(first.Server, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var again = await client.SignInAsync(Ews);
        Assert.Equal(remaining, again.Server);
        Assert.Equal(2, client.Connections);
    }

    [Fact]
    public async Task A_server_closing_the_pinned_connection_closes_the_client_connection_after_the_response()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = new SigningInClient(proxy, "alice");
        var signedIn = await client.SignInAsync(Ews);

        using var last = await client.GetAsync(Ews + "?close=1");
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
        Assert.Equal(signedIn, await last.Content.ReadFromJsonAsync<WhoAmI>());
        Assert.True(last.Headers.ConnectionClose);

        using var next = await client.GetAsync(Ews);
        Assert.Equal(HttpStatusCode.Unauthorized, next.StatusCode);
        Assert.Equal(2, client.Connections);
        await Eventually.TrueAsync(() => proxy.Services.GetRequiredService<PinnedConnections>().Count == 1,
            "the closed connection's pin is gone; the new connection's bare challenge pinned it again");
    }

    [Fact]
    public async Task Http2_requests_that_meet_a_challenge_are_reset_with_http_1_1_required()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = new SigningInClient(proxy, "alice", HttpVersion.Version20);

        // HttpClient reports the reset (it does not retry on it); curl, browsers and Windows clients retry below.
        var reset = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(Ews));
        Assert.Equal(WindowsAuthOverHttp2.Http11Required, Assert.IsType<HttpProtocolException>(reset.InnerException).ErrorCode);

        var curl = await CurlHttp2Async(proxy, Ews);
        Assert.Equal("1.1 401", curl.Outcome);
        Assert.Contains("HTTP_1_1_REQUIRED", curl.Verbose, StringComparison.Ordinal);

        // OWA is not a Windows auth service: HTTP/2 goes through.
        Assert.Equal("2 200", (await CurlHttp2Async(proxy, "/owa/")).Outcome);
    }

    [Fact]
    public async Task Http2_requests_carrying_windows_credentials_are_reset_before_they_reach_a_server()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());

        var curl = await CurlHttp2Async(proxy, Ews, "-H", "Authorization: " + FakeWindowsAuth.Negotiate("alice"));

        // Refused over HTTP/2 before forwarding, then retried by curl over HTTP/1.1, which pins and gets the challenge.
        Assert.Equal("1.1 401", curl.Outcome);
        Assert.Contains("HTTP_1_1_REQUIRED", curl.Verbose, StringComparison.Ordinal);
        Assert.Matches("(?im)^< www-authenticate: NTLM [A-Za-z0-9+/=]+\\r?$", curl.Verbose);
        Assert.Equal(1, Exchange1.WindowsAuth!.Legs + Exchange2.WindowsAuth!.Legs);
    }

    private static List<SigningInClient> Users(RunningProxy proxy, int count) =>
        [.. Enumerable.Range(0, count).Select(i => new SigningInClient(proxy, $"user{i:00}"))];

    // All clients hold their connections open together, as Outlook does.
    private static async Task<List<Outcome>> SignInConcurrentlyAsync(List<SigningInClient> clients, int requestsEach) =>
        [.. await Task.WhenAll(clients.Select(c => RunAsync(c, requestsEach)))];

    private static async Task<Outcome> RunAsync(SigningInClient client, int requests)
    {
        try
        {
            var signedIn = await client.SignInAsync(Ews);
            Check(signedIn, client, signedIn);
            for (var i = 0; i < requests; i++)
            {
                Check(await client.WhoAmIAsync(Ews), client, signedIn);
            }

            return client.Connections == 1
                ? new Outcome(signedIn.Server, signedIn.Connection, null)
                : new Outcome(signedIn.Server, signedIn.Connection, $"{client.User} used {client.Connections} client connections");
        }
        catch (InvalidOperationException e)
        {
            return new Outcome("", 0, $"{client.User}: {e.Message}");
        }
    }

    private static void Check(WhoAmI answer, SigningInClient client, WhoAmI signedIn)
    {
        if (answer.User != client.User || answer != signedIn)
        {
            throw new InvalidOperationException($"answered as {answer}, signed in as {signedIn}");
        }
    }

    private static async Task<(string Outcome, string Verbose)> CurlHttp2Async(RunningProxy proxy, string path, params string[] args)
    {
        await using var curl = ProxyProcess.Start("curl",
            ["-sk", "-v", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", .. args, new Uri(proxy.Address, path).AbsoluteUri]);
        Assert.Equal(0, await curl.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        return (curl.Stdout.Trim(), curl.Stderr);
    }

    private sealed record Outcome(string Server, int Connection, string? Failure);
}
