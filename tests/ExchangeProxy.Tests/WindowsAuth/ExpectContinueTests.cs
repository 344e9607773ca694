using System.Net;
using System.Text;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Tests.WindowsAuth;

/// <summary>
/// <c>Expect: 100-continue</c>, which EWS clients built on HttpWebRequest send with every POST: the client must hear
/// the server's verdict before it uploads. Servers that answer 401 (Basic, or an NTLM challenge, for which
/// SocketsHttpHandler sends a body all the same to keep the connection) or 413 before reading the body and close, or
/// keep the connection, and one that accepts. The whole NTLM handshake with the real acceptor is in RealNtlmTests.
/// </summary>
public sealed class ExpectContinueTests : IAsyncLifetime
{
    private const int BodyBytes = 512 * 1024;
    private readonly TestCertificate _certificate = new();
    private WebApplication _server = null!;
    private string _address = "";
    private int _bodiesRead;
    private int _requestsSeen;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        var certificate = ExchangeProxy.Hosting.SelfSignedCertificate.Create("exchange1.contoso.test", TimeProvider.System);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1;
            listen.UseHttps(certificate);
        }));
        _server = builder.Build();
        // The last path segment says how the server behaves.
        _server.MapPost("/{**path}", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _requestsSeen);
            var path = context.Request.Path.Value!;
            if (path.EndsWith("/toolarge", StringComparison.Ordinal))
            {
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
            }

            if (!path.EndsWith("/accept", StringComparison.Ordinal))
            {
                if (path.EndsWith("/close", StringComparison.Ordinal))
                {
                    context.Response.Headers.Connection = "close";
                }

                return Challenge(context);
            }

            var read = 0L;
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await context.Request.Body.ReadAsync(buffer)) > 0)
            {
                read += n;
            }

            Interlocked.Increment(ref _bodiesRead);
            return Results.Text(read.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
        _server.MapGet("/{**path}", () =>
        {
            Interlocked.Increment(ref _requestsSeen);
            return Results.Text("200 OK");
        });
        await _server.StartAsync();
        _address = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificate.Dispose();
    }

    [Theory]
    [InlineData("/EWS/Exchange.asmx/close")]
    [InlineData("/EWS/Exchange.asmx/keep")]
    [InlineData("/Microsoft-Server-ActiveSync/close")]
    [InlineData("/owa/service.svc/close")]
    public async Task A_401_before_the_body_reaches_the_client_before_it_uploads(string path)
    {
        await using var proxy = await StartProxyAsync();
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, _certificate);

        await client.WriteHeadAsync($"POST {path} HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Type: text/xml\r\nContent-Length: {BodyBytes}\r\nExpect: 100-continue\r\n");
        var head = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Basic", head, StringComparison.Ordinal);
        Assert.Equal(0, _bodiesRead);
    }

    [Theory]
    [InlineData("/EWS/Exchange.asmx/ntlm/keep")]
    [InlineData("/mapi/emsmdb/ntlm/keep")]
    [InlineData("/EWS/Exchange.asmx/ntlm/close")]
    [InlineData("/Microsoft-Server-ActiveSync/ntlm/close")]
    public async Task An_ntlm_challenge_before_the_body_reaches_the_client_before_it_uploads(string path)
    {
        await using var proxy = await StartProxyAsync();
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, _certificate);

        await client.WriteHeadAsync($"POST {path} HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Type: text/xml\r\nContent-Length: {BodyBytes}\r\nExpect: 100-continue\r\n");
        var (head, body) = await client.ReadResponseAsync(TimeSpan.FromSeconds(10));

        // The server's own answer, not "100 Continue" and not a 502 after an upload.
        Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: NTLM TlRMTVNTUAACAAAA", head, StringComparison.Ordinal);
        Assert.Equal("401 Unauthorized", body);
        Assert.Equal(0, _bodiesRead);
        if (path.EndsWith("/keep", StringComparison.Ordinal))
        {
            // A client that keeps its connection for the handshake's next leg sends the body it announced, and the
            // connection goes on in step on both sides: the next request is read as a request.
            await client.Stream.WriteAsync(new byte[BodyBytes]);
            var before = _requestsSeen;
            await client.WriteHeadAsync("GET /EWS/Exchange.asmx/next HTTP/1.1\r\nHost: mail.contoso.test\r\n");
            var next = await client.ReadResponseAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 200", next.Head, StringComparison.Ordinal);
            Assert.Equal("200 OK", next.Body);
            Assert.Equal(before + 1, _requestsSeen);
        }
    }

    [Fact]
    public async Task A_413_before_the_body_reaches_the_client_before_it_uploads()
    {
        await using var proxy = await StartProxyAsync();
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, _certificate);

        await client.WriteHeadAsync($"POST /EWS/Exchange.asmx/toolarge HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Length: {BodyBytes}\r\nExpect: 100-continue\r\n");

        Assert.StartsWith("HTTP/1.1 413", await client.ReadHeadAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/EWS/Exchange.asmx/accept")]
    [InlineData("/mapi/emsmdb/accept")]
    [InlineData("/owa/service.svc/accept")]
    public async Task A_server_that_accepts_gets_the_body_after_its_100_continue(string path)
    {
        await using var proxy = await StartProxyAsync();
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, _certificate);

        await client.WriteHeadAsync($"POST {path} HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Type: text/xml\r\nContent-Length: {BodyBytes}\r\nExpect: 100-continue\r\n");
        Assert.StartsWith("HTTP/1.1 100", await client.ReadHeadAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        await client.Stream.WriteAsync(new byte[BodyBytes]);
        var head = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);
        Assert.Equal(1, _bodiesRead);
    }

    private async Task<RunningProxy> StartProxyAsync()
    {
        var config = new ProxyConfig(_certificate);
        config.Server("exchange1", _address);
        return await RunningProxy.StartAsync(config);
    }

    private static IResult Challenge(HttpContext context)
    {
        // An NTLM Type 2 message (the first bytes are what clients and SocketsHttpHandler look at), or Basic.
        context.Response.Headers.WWWAuthenticate = context.Request.Path.Value!.Contains("/ntlm/", StringComparison.Ordinal)
            ? "NTLM TlRMTVNTUAACAAAADgAOADgAAAAFgomiESIzRFVmd4gAAAAAAAAAAHIAcgBGAAAACgB8TwAAAA9DAE8ATgBUAE8AUwBPAA=="
            : "Basic realm=\"mail.contoso.test\"";
        return Results.Text("401 Unauthorized", statusCode: StatusCodes.Status401Unauthorized, contentEncoding: Encoding.UTF8);
    }
}
