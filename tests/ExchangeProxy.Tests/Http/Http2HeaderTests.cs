using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

/// <summary>Kerberos-size headers over HTTP/2, which browsers and curl negotiate with the listener.</summary>
public sealed class Http2HeaderTests : TwoCasServersTest
{
    [Fact]
    public async Task A_60_KB_cookie_passes_over_http2_as_over_http_1_1()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        var cookie = "X-OWA-CANARY=" + new string('c', 60 * 1024 - 13);

        var (outcome, verbose) = await CurlAsync(proxy, "/owa/", "--http2", "-H", "Cookie: " + cookie);

        Assert.True(outcome == "2 200", $"{outcome}\n{verbose}");
        Assert.Equal(cookie.Length, Assert.Single(Exchange1.Echoed.Concat(Exchange2.Echoed)).Header("Cookie")!.Length);
    }

    [Fact]
    public async Task A_48_KB_negotiate_token_over_http2_reaches_the_server_whole()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        var token = "Negotiate " + new string('Y', 48 * 1024);

        // A Windows auth route: answered over HTTP/2, or refused with HTTP_1_1_REQUIRED and retried by curl over
        // HTTP/1.1; never a connection error.
        var (outcome, verbose) = await CurlAsync(proxy, "/EWS/Exchange.asmx", "--http2", "-H", "Authorization: " + token);

        Assert.True(outcome is "2 200" or "1.1 200", $"{outcome}\n{verbose}");
        Assert.DoesNotContain("COMPRESSION_ERROR", verbose, StringComparison.Ordinal);
        Assert.All(Exchange1.Echoed.Concat(Exchange2.Echoed), e => Assert.Equal(token.Length, e.Header("Authorization")!.Length));
        Assert.NotEmpty(Exchange1.Echoed.Concat(Exchange2.Echoed));
    }

    private static async Task<(string Outcome, string Verbose)> CurlAsync(RunningProxy proxy, string path, params string[] args)
    {
        await using var curl = ProxyProcess.Start("curl",
            ["-sk", "-v", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", .. args, new Uri(proxy.Address, path).AbsoluteUri]);
        await curl.ExitCodeAsync(TimeSpan.FromSeconds(30));
        return (curl.Stdout.Trim(), curl.Stderr);
    }
}
