using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using ExchangeProxy.Hosting;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

/// <summary>
/// ExchangeProxy:HttpRedirect (plain HTTP sent to HTTPS) and ExchangeProxy:RootRedirect (/ sent to /owa/), on
/// real sockets: HttpClient for what browsers and Outlook send, raw bytes for what an attacker may write.
/// </summary>
public sealed class RedirectTests : TwoCasServersTest
{
    [Fact]
    public async Task Plain_http_is_sent_to_the_same_host_path_and_query_over_https_on_the_configured_port_only()
    {
        await using var proxy = await RunningProxy.StartAsync(Redirecting());
        using var client = PlainClient(proxy);

        using var get = await Send(client, HttpMethod.Get, "/owa/?x=1&y=%20z", "mail.contoso.com");
        Assert.Equal(HttpStatusCode.MovedPermanently, get.StatusCode);
        Assert.Equal("https://mail.contoso.com/owa/?x=1&y=%20z", get.Headers.Location!.OriginalString);

        // The port the client named is not where it is sent: always the HTTPS port of the configuration.
        using var port = await Send(client, HttpMethod.Get, "/EWS/Exchange.asmx", "mail.contoso.com:8080");
        Assert.Equal("https://mail.contoso.com/EWS/Exchange.asmx", port.Headers.Location!.OriginalString);

        // A POST keeps its method and body through a 308 (a 301 lets clients turn it into a GET).
        using var post = await Send(client, HttpMethod.Post, "/Microsoft-Server-ActiveSync?Cmd=Sync", "mail.contoso.com");
        Assert.Equal(HttpStatusCode.PermanentRedirect, post.StatusCode);
        Assert.Equal("https://mail.contoso.com/Microsoft-Server-ActiveSync?Cmd=Sync", post.Headers.Location!.OriginalString);

        // Nothing is served on plain HTTP: not the proxy's health, not a server's page.
        using var health = await Send(client, HttpMethod.Get, "/health", "mail.contoso.com");
        Assert.Equal("https://mail.contoso.com/health", health.Headers.Location!.OriginalString);

        using var ipv6 = await Send(client, HttpMethod.Get, "/owa/", "[::1]");
        Assert.Equal("https://[::1]/owa/", ipv6.Headers.Location!.OriginalString);

        // An encoded line break stays encoded: no header is injected.
        var injected = await RawAsync(proxy, "GET /owa/%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: mail.contoso.com\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 301", injected, StringComparison.Ordinal);
        Assert.Contains("\r\nLocation: https://mail.contoso.com/owa/%0D%0ASet-Cookie:%20a=b\r\n", injected, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\r\nSet-Cookie", injected, StringComparison.OrdinalIgnoreCase);

        // The HTTPS port follows a reload.
        var config = Redirecting();
        config.Section["HttpRedirect"]!["HttpsPort"] = 8443;
        config.WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(
            async () => (await Send(client, HttpMethod.Get, "/owa/", "mail.contoso.com")).Headers.Location!.OriginalString == "https://mail.contoso.com:8443/owa/",
            "the redirect names the reloaded HTTPS port");
    }

    [Theory]
    [InlineData("GET /owa/ HTTP/1.1\r\nHost: evil.example/x\r\n")]
    [InlineData("GET /owa/ HTTP/1.1\r\nHost: user@evil.example\r\n")]
    [InlineData("GET /owa/ HTTP/1.1\r\nHost: evil.example\\.contoso.com\r\n")]
    [InlineData("GET /owa/ HTTP/1.1\r\nHost: evil.example%0d%0aSet-Cookie:a=b\r\n")]
    [InlineData("GET /owa/ HTTP/1.1\r\nHost: mail.contoso.com\r\nHost: evil.example\r\n")]
    [InlineData("GET /owa/ HTTP/1.1\r\n")]
    [InlineData("GET /owa/ HTTP/1.0\r\n")]
    [InlineData("GET http://evil.example/owa/ HTTP/1.1\r\nHost: mail.contoso.com\r\n")]
    [InlineData("GET /owa/ HTTP/1.1\r\nHost: [::1\r\n")]
    public async Task A_host_that_is_not_a_plain_name_or_address_gets_400_and_no_location(string head)
    {
        await using var proxy = await RunningProxy.StartAsync(Redirecting());

        var response = await RawAsync(proxy, head + "Connection: close\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 400", response, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nLocation:", response, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_huge_host_gets_400_and_an_absolute_form_target_never_chooses_the_port()
    {
        await using var proxy = await RunningProxy.StartAsync(Redirecting());

        var huge = await RawAsync(proxy, $"GET /owa/ HTTP/1.1\r\nHost: {string.Join('.', Enumerable.Repeat(new string('a', 60), 5))}\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", huge, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nLocation:", huge, StringComparison.OrdinalIgnoreCase);

        // The client may name its own host (it sends only itself there), never the port.
        var absolute = await RawAsync(proxy, "GET http://mail.contoso.com:444/owa/?a=1 HTTP/1.1\r\nHost: mail.contoso.com:444\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 301", absolute, StringComparison.Ordinal);
        Assert.Contains("\r\nLocation: https://mail.contoso.com/owa/?a=1\r\n", absolute, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_root_is_sent_to_owa_on_the_https_listener_only_exactly_and_only_while_configured()
    {
        await using var proxy = await RunningProxy.StartAsync(Redirecting());
        using var client = proxy.CreateClient();

        foreach (var root in new[] { "/", "/?x=1" })
        {
            using var response = await client.GetAsync(root);
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            Assert.Equal("/owa/", response.Headers.Location!.OriginalString);
        }

        using (var owa = await client.GetAsync("/owa/"))
        {
            Assert.Matches("^exchange[12]$", (await EchoResponse.ReadAsync(owa)).Server);
        }

        using (var other = await client.GetAsync("/other"))
        {
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        }

        // The admin listener's / is still the stats page.
        using (var admin = await proxy.CreateAdminClient().GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
            Assert.Equal("text/html", admin.Content.Headers.ContentType!.MediaType);
        }

        // Switched off by a reload: / is what it was, no route.
        var off = Config();
        off.WriteTo(proxy.ConfigPath);
        await Eventually.TrueAsync(async () => (await client.GetAsync("/")).StatusCode == HttpStatusCode.NotFound, "/ is no longer redirected");
        var port = new Uri(proxy.Addresses.Single(a => a.Scheme == Uri.UriSchemeHttp && a.Port != proxy.AdminAddress!.Port).AbsoluteUri).Port;
        await Eventually.TrueAsync(() => !Accepts(port), "the plain-HTTP listener is closed");
    }

    [Fact]
    public async Task Without_the_settings_there_is_no_plain_http_listener_and_the_root_is_not_redirected()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());

        Assert.Null(proxy.Services.GetRequiredService<ListenerEndpoints>().Of(ListenerEndpoints.HttpRedirect));
        Assert.Equal([proxy.AdminAddress!.Port], proxy.Addresses.Where(a => a.Scheme == Uri.UriSchemeHttp).Select(a => a.Port));
        using var client = proxy.CreateClient();
        using var root = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
    }

    /// <summary>Both redirects on, the plain-HTTP listener on a free loopback port.</summary>
    private ProxyConfig Redirecting()
    {
        var config = Config();
        config.Section["HttpRedirect"] = new JsonObject { ["Listen"] = "127.0.0.1:0" };
        config.Section["RootRedirect"] = "/owa/";
        return config;
    }

    private static HttpClient PlainClient(RunningProxy proxy)
    {
        var endpoint = proxy.Services.GetRequiredService<ListenerEndpoints>().Of(ListenerEndpoints.HttpRedirect)!;
        return new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{endpoint}") };
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string target, string host)
    {
        using var request = new HttpRequestMessage(method, target);
        request.Headers.Host = host;
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("<Sync/>");
        }

        return await client.SendAsync(request);
    }

    /// <summary>Writes the bytes as they are to the plain-HTTP listener and reads its answer until it closes.</summary>
    private static async Task<string> RawAsync(RunningProxy proxy, string head)
    {
        var endpoint = proxy.Services.GetRequiredService<ListenerEndpoints>().Of(ListenerEndpoints.HttpRedirect)!;
        using var socket = new TcpClient();
        await socket.ConnectAsync(endpoint);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head));
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        return await reader.ReadToEndAsync(deadline.Token);
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var socket = new TcpClient();
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

