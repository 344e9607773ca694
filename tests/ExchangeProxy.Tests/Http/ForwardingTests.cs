using System.Net;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

public sealed class ForwardingTests : TwoCasServersTest
{
    [Fact]
    public async Task The_original_host_is_forwarded_with_x_forwarded_for_and_proto()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/auth/logon.aspx");
        request.Headers.Host = "mail.contoso.test";
        request.Headers.Add("X-AnchorMailbox", "user@contoso.test");
        request.Headers.Add("X-BackEndOverrideCookie", "cas1~1942062522");

        var echo = await EchoResponse.ReadAsync(await client.SendAsync(request));

        Assert.Equal("mail.contoso.test", echo.Host);
        Assert.Equal("127.0.0.1", echo.Header("X-Forwarded-For"));
        Assert.Equal("https", echo.Header("X-Forwarded-Proto"));
        Assert.Equal("user@contoso.test", echo.Header("X-AnchorMailbox"));
        Assert.Equal("cas1~1942062522", echo.Header("X-BackEndOverrideCookie"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/8,::1")]
    public async Task A_forwarded_for_header_from_an_untrusted_client_is_replaced(string trusted)
    {
        var config = Config();
        config.Section["TrustedProxies"] = new JsonArray([.. trusted.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => (JsonNode)t)]);
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/");
        request.Headers.Add("X-Forwarded-For", "203.0.113.66");
        request.Headers.Add("X-Forwarded-Proto", "http");

        var echo = await EchoResponse.ReadAsync(await client.SendAsync(request));

        Assert.Equal("127.0.0.1", echo.Header("X-Forwarded-For"));
        Assert.Equal("https", echo.Header("X-Forwarded-Proto"));
    }

    [Fact]
    public async Task A_forwarded_for_header_from_a_trusted_proxy_network_is_believed()
    {
        var config = Config();
        config.Section["TrustedProxies"] = new JsonArray("127.0.0.0/8");
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/owa/");
        request.Headers.Add("X-Forwarded-For", "203.0.113.66");

        var echo = await EchoResponse.ReadAsync(await client.SendAsync(request));

        Assert.Equal("203.0.113.66", echo.Header("X-Forwarded-For"));
        var line = await RequestLogLine(proxy, "/owa/");
        Assert.Equal("203.0.113.66", line.Properties["ClientIp"]?.ToString());
    }

    [Fact]
    public async Task A_refused_connection_gives_502_with_a_plain_reason_and_no_stack_trace()
    {
        var config = Config();
        config.Section["Servers"] = new JsonArray(new JsonObject { ["Name"] = "gone", ["Address"] = $"127.0.0.1:{ClosedPort()}" });
        // Unprobed: with its probe, the server would be DOWN and the answer a 503 without trying it.
        config.Service("owa", new JsonObject { ["Check"] = new JsonObject { ["Type"] = "None" } });
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/owa/");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("502 The Exchange server could not be reached.\n", body);
    }

    [Fact]
    public async Task A_server_that_goes_quiet_beyond_the_activity_timeout_gives_504()
    {
        await using var proxy = await RunningProxy.StartAsync(Config().Service("ecp", new JsonObject { ["ActivityTimeout"] = "00:00:00.500" }));
        using var client = proxy.CreateClient();

        using var response = await client.GetAsync("/ecp/?delayMs=3000");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("504 The Exchange server did not answer in time.\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_long_poll_outlives_a_short_timeout_on_a_service_configured_for_it()
    {
        // ActiveSync's own timeout is an hour; a short value on ecp proves the per-service setting is what decides.
        var config = Config()
            .Service("ecp", new JsonObject { ["ActivityTimeout"] = "00:00:00.500" })
            .Service("activesync", new JsonObject { ["ActivityTimeout"] = "00:00:10" });
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();

        using var ping = await client.PostAsync("/Microsoft-Server-ActiveSync?Cmd=Ping&delayMs=1500", new StringContent("ping"));
        using var ecp = await client.GetAsync("/ecp/?delayMs=1500");

        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal(HttpStatusCode.GatewayTimeout, ecp.StatusCode);
    }

    [Fact]
    public async Task Every_request_is_logged_once_with_its_service_server_status_and_bytes()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();

        using var response = await client.PostAsync("/EWS/Exchange.asmx", new ByteArrayContent(new byte[1234]));
        var echoBytes = (await response.Content.ReadAsByteArrayAsync()).Length;
        var line = await RequestLogLine(proxy, "/EWS/Exchange.asmx");

        Assert.Equal("127.0.0.1", line.Properties["ClientIp"]?.ToString());
        Assert.Equal("POST", line.Properties["RequestMethod"]);
        Assert.Equal("ews", line.Properties["Service"]);
        Assert.Matches("^exchange[12]$", line.Properties["Server"]?.ToString());
        Assert.Equal(200, line.Properties["StatusCode"]);
        Assert.IsType<double>(line.Properties["Elapsed"]);
        Assert.Equal(1234L, line.Properties["BytesIn"]);
        Assert.Equal((long)echoBytes, line.Properties["BytesOut"]);
    }

    [Fact]
    public async Task A_sign_in_form_the_proxy_cannot_read_is_still_forwarded_whole()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();
        // More fields than ASP.NET Core's form reader takes (1024): the proxy reads no user name, and forwards it all.
        var body = string.Join('&', Enumerable.Range(0, 1500).Select(i => $"f{i}=v")) + "&username=alice&password=x";

        using var response = await client.PostAsync("/owa/auth.owa", new StringContent(body, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body.Length, (await EchoResponse.ReadAsync(response)).BodyBytes);
    }

    private static async Task<LogEntry> RequestLogLine(RunningProxy proxy, string path)
    {
        // Every event logged during a request carries its RequestPath (from the request's scope); the request
        // log line is the one with the outcome.
        List<LogEntry> lines = [];
        await Eventually.TrueAsync(
            () => (lines = [.. proxy.Logs.Entries.Where(e => Equals(e.Properties.GetValueOrDefault("RequestPath"), path) && e.Properties.ContainsKey("Elapsed"))]).Count > 0,
            $"the request log line for {path} is written");
        return Assert.Single(lines);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
