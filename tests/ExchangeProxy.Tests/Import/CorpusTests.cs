using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Import;

/// <summary>
/// Each corpus file is real HAProxy (the Debian haproxy says so), and, its addresses moved to loopback fakes, is
/// converted, passes the proxy's validation, starts, and carries a request or a connection to a fake server.
/// </summary>
public sealed partial class CorpusTests
{
    private static readonly string[] BridgedPaths = ["/owa/", "/EWS/Exchange.asmx", "/Microsoft-Server-ActiveSync/", "/mapi/emsmdb/"];
    private static readonly string[] MainPoolPaths = ["/mapi/emsmdb/", "/owa/", "/ecp/", "/EWS/Exchange.asmx", "/OAB/"];

    public static TheoryData<string> CorpusFiles() => [.. CorpusRun.Files];

    [Fact]
    public void The_corpus_holds_the_seed_and_six_more()
    {
        Assert.Equal(File.ReadAllText(Repository.PathOf("deploy/haproxy/exchange-seed.cfg")),
            File.ReadAllText(Repository.PathOf(CorpusRun.CorpusFolder + "/exchange-seed.cfg")));
        Assert.True(CorpusRun.Files.Count >= 7, string.Join(", ", CorpusRun.Files));
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task Each_corpus_file_is_valid_haproxy(string file)
    {
        await using var run = new CorpusRun();
        var text = run.Substituted(file);
        if (file == "exchange-seed.cfg")
        {
            // The seed is HAProxy 1.x: 2.x wants the listen line's address on a bind line, the only change it needs.
            text = ListenAddress().Replace(text, "listen $1\n    bind $2");
        }

        var path = Path.Combine(run.CertificateDirectory, "..", file);
        await File.WriteAllTextAsync(path, text);
        Assert.True(File.Exists(HaproxyProcess.Executable), $"{HaproxyProcess.Executable} is missing: tests/run.sh installs the Debian haproxy package");
        await using var haproxy = ProxyProcess.Start(HaproxyProcess.Executable, ["-c", "-f", path]);

        Assert.True(await haproxy.ExitCodeAsync(TimeSpan.FromSeconds(30)) == 0, haproxy.Stdout + haproxy.Stderr);
    }

    [Fact]
    public async Task The_seed_passes_tls_through_to_the_cas_servers_and_serves_its_stats_page()
    {
        await using var run = new CorpusRun();
        var cas = CorpusRun.DualPort();
        await using var exchange1 = await FakeCasServer.StartAsync("exchange1", address: IPAddress.Loopback, port: cas);
        await using var exchange2 = await FakeCasServer.StartAsync("exchange2", address: IPAddress.IPv6Loopback, port: cas);
        var listen = CorpusRun.Port();
        run.Substitutions["192.168.200.103:4711"] = $"127.0.0.1:{CorpusRun.Port()}";
        run.Substitutions["192.168.200.103:443"] = $"127.0.0.1:{listen}";
        run.Substitutions["192.168.200.100:443"] = $"127.0.0.1:{cas}";
        run.Substitutions["192.168.200.102:443"] = $"[::1]:{cas}";

        var proxy = await run.ConvertAndStartAsync("exchange-seed.cfg");
        await ProbeRounds.FirstRoundAsync(proxy);

        using var client = CorpusRun.ClientTo(new IPEndPoint(IPAddress.Loopback, listen));
        var echo = await EchoResponse.ReadAsync(await client.GetAsync($"https://mail.contoso.test:{listen}/owa/"));
        Assert.Matches("^exchange[12]$", echo.Server);
        using var admin = new HttpClient { BaseAddress = proxy.AdminAddress };
        Assert.Contains("ExchangeProxy statistics", await admin.GetStringAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tcp_only_configuration_carries_smtp_submission_and_https_to_the_cas_servers()
    {
        await using var run = new CorpusRun();
        var (https, smtp, submission) = (CorpusRun.DualPort(), CorpusRun.DualPort(), CorpusRun.DualPort());
        await using var cas1 = await FakeCasServer.StartAsync("exch1", address: IPAddress.Loopback, port: https);
        await using var cas2 = await FakeCasServer.StartAsync("exch2", address: IPAddress.IPv6Loopback, port: https);
        await using var smtp1 = new FakeSmtpServer("220 exch1.contoso.test ESMTP", IPAddress.Loopback, smtp);
        await using var smtp2 = new FakeSmtpServer("220 exch2.contoso.test ESMTP", IPAddress.IPv6Loopback, smtp);
        await using var submission1 = new FakeSmtpServer("220 exch1.contoso.test submission", IPAddress.Loopback, submission);
        await using var submission2 = new FakeSmtpServer("220 exch2.contoso.test submission", IPAddress.IPv6Loopback, submission);
        var (httpsListen, smtpListen, submissionListen) = (CorpusRun.Port(), CorpusRun.Port(), CorpusRun.Port());
        foreach (var (port, fake) in (IEnumerable<(int, int)>)[(443, https), (25, smtp), (587, submission)])
        {
            run.Substitutions[$"10.0.0.11:{port}"] = $"127.0.0.1:{fake}";
            run.Substitutions[$"10.0.0.12:{port}"] = $"[::1]:{fake}";
        }

        run.Substitutions["0.0.0.0:443"] = $"127.0.0.1:{httpsListen}";
        run.Substitutions["0.0.0.0:25"] = $"127.0.0.1:{smtpListen}";
        run.Substitutions["0.0.0.0:587"] = $"127.0.0.1:{submissionListen}";
        // The relay allow-list lets the test's loopback client in, in place of the internal network.
        run.Substitutions["192.168.0.0/16"] = "127.0.0.0/8";

        var proxy = await run.ConvertAndStartAsync("tcp-smtp.cfg", "--ExchangeProxy:Admin:Url=http://127.0.0.1:0");
        await ProbeRounds.FirstRoundAsync(proxy);

        Assert.Matches("^220 exch[12].contoso.test ESMTP$", await BannerAsync(smtpListen));
        Assert.Matches("^220 exch[12].contoso.test submission$", await BannerAsync(submissionListen));
        using var client = CorpusRun.ClientTo(new IPEndPoint(IPAddress.Loopback, httpsListen));
        Assert.Matches("^exch[12]$", (await EchoResponse.ReadAsync(await client.GetAsync($"https://mail.contoso.test:{httpsListen}/owa/"))).Server);
    }

    [Fact]
    public async Task Per_virtual_directory_backends_bridge_ssl_and_keep_ecp_internal()
    {
        await using var run = new CorpusRun();
        var cas = CorpusRun.DualPort();
        await using var exch1 = await FakeCasServer.StartAsync("exch1", address: IPAddress.Loopback, port: cas);
        await using var exch2 = await FakeCasServer.StartAsync("exch2", address: IPAddress.IPv6Loopback, port: cas);
        run.Substitutions["10.0.0.11:443"] = $"127.0.0.1:{cas}";
        run.Substitutions["10.0.0.12:443"] = $"[::1]:{cas}";
        run.Substitutions["0.0.0.0:443"] = $"127.0.0.1:{CorpusRun.Port()}";
        run.Substitutions["0.0.0.0:80"] = $"127.0.0.1:{CorpusRun.Port()}";

        var proxy = await run.ConvertAndStartAsync("vdir-ssl-bridging.cfg", "--ExchangeProxy:Admin:Url=http://127.0.0.1:0");
        await ProbeRounds.FirstRoundAsync(proxy);

        using var client = proxy.CreateClient();
        foreach (var path in BridgedPaths)
        {
            var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Matches("^exch[12]$", (await EchoResponse.ReadAsync(response)).Server);
        }

        // The test's client is on loopback, outside the file's internal networks.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/ecp/")).StatusCode);
    }

    [Fact]
    public async Task Two_namespaces_reach_their_own_servers_by_tls_server_name()
    {
        await using var run = new CorpusRun();
        var (contoso, fabrikam, listen) = (CorpusRun.DualPort(), CorpusRun.Port(), CorpusRun.Port());
        await using var exch1 = await FakeCasServer.StartAsync("exch1", address: IPAddress.Loopback, port: contoso);
        await using var exch2 = await FakeCasServer.StartAsync("exch2", address: IPAddress.IPv6Loopback, port: contoso);
        await using var fab1 = await FakeCasServer.StartAsync("fab1", address: IPAddress.Loopback, port: fabrikam);
        run.Substitutions["10.0.0.11:443"] = $"127.0.0.1:{contoso}";
        run.Substitutions["10.0.0.12:443"] = $"[::1]:{contoso}";
        run.Substitutions["10.1.0.21:443"] = $"127.0.0.1:{fabrikam}";
        run.Substitutions["0.0.0.0:443"] = $"127.0.0.1:{listen}";

        var proxy = await run.ConvertAndStartAsync("sni-namespaces.cfg", "--ExchangeProxy:Admin:Url=http://127.0.0.1:0");
        await ProbeRounds.FirstRoundAsync(proxy);

        using var client = CorpusRun.ClientTo(new IPEndPoint(IPAddress.Loopback, listen));
        async Task<string> ServerFor(string host) =>
            (await EchoResponse.ReadAsync(await client.GetAsync($"https://{host}:{listen}/owa/"))).Server;
        Assert.Equal("fab1", await ServerFor("mail.fabrikam.com"));
        Assert.Equal("fab1", await ServerFor("autodiscover.fabrikam.com"));
        Assert.Matches("^exch[12]$", await ServerFor("mail.contoso.com"));
        Assert.Matches("^exch[12]$", await ServerFor("owa.northwind.test"));
    }

    [Fact]
    public async Task The_stats_page_asks_for_the_imported_user_whose_password_is_never_printed()
    {
        const string Password = "Exch@nge-St4ts!";
        await using var run = new CorpusRun();
        var (cas, admin) = (CorpusRun.DualPort(), CorpusRun.Port());
        await using var exch1 = await FakeCasServer.StartAsync("exch1", address: IPAddress.Loopback, port: cas);
        await using var exch2 = await FakeCasServer.StartAsync("exch2", address: IPAddress.IPv6Loopback, port: cas);
        run.Substitutions["10.0.0.11:443"] = $"127.0.0.1:{cas}";
        run.Substitutions["10.0.0.12:443"] = $"[::1]:{cas}";
        run.Substitutions["0.0.0.0:443"] = $"127.0.0.1:{CorpusRun.Port()}";
        run.Substitutions["0.0.0.0:8404"] = $"127.0.0.1:{admin}";

        var proxy = await run.ConvertAndStartAsync("stats-auth.cfg");
        await ProbeRounds.FirstRoundAsync(proxy);

        using var client = proxy.CreateClient();
        Assert.Matches("^exch[12]$", (await EchoResponse.ReadAsync(await client.GetAsync("/owa/"))).Server);
        using var stats = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin}/") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await stats.GetAsync("/")).StatusCode);
        stats.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + Password)));
        Assert.Contains("ExchangeProxy statistics", await stats.GetStringAsync("/"), StringComparison.Ordinal);

        Assert.DoesNotContain(Password, run.Report, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, run.Json, StringComparison.Ordinal);
        Assert.Contains("stats auth admin:****", run.Report, StringComparison.Ordinal);
        Assert.Contains("change them", run.Report, StringComparison.Ordinal);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Proxy_protocol_is_accepted_from_the_balancer_and_sent_on_to_the_relays()
    {
        await using var run = new CorpusRun();
        var relay = CorpusRun.DualPort();
        await using var relay1 = new FakeTcpServer("relay1", FakeTcpMode.Echo, IPAddress.Loopback, relay, proxyHeader: true);
        await using var relay2 = new FakeTcpServer("relay2", FakeTcpMode.Echo, IPAddress.IPv6Loopback, relay, proxyHeader: true);
        var (fromBalancer, direct) = (CorpusRun.Port(), CorpusRun.Port());
        run.Substitutions["10.0.2.31:25"] = $"127.0.0.1:{relay}";
        run.Substitutions["10.0.2.32:25"] = $"[::1]:{relay}";
        run.Substitutions["0.0.0.0:2525"] = $"127.0.0.1:{fromBalancer}";
        run.Substitutions["0.0.0.0:25"] = $"127.0.0.1:{direct}";
        // The upstream balancer is the test itself, on loopback.
        run.Substitutions["10.0.0.5 10.0.0.6"] = "127.0.0.1 10.0.0.6";

        var proxy = await run.ConvertAndStartAsync("proxy-protocol.cfg", "--ExchangeProxy:Admin:Url=http://127.0.0.1:0");
        await ProbeRounds.FirstRoundAsync(proxy);

        Assert.Matches("^relay[12]$", await ThroughProxyHeaderAsync(fromBalancer, "PROXY TCP4 203.0.113.7 192.0.2.10 51234 2525\r\n"));
        Assert.Matches("^relay[12]$", await ThroughProxyHeaderAsync(direct, "PROXY TCP4 198.51.100.9 192.0.2.10 40000 25\r\n"));
        var headers = relay1.ProxyHeaders.Concat(relay2.ProxyHeaders).ToList();
        Assert.Contains("v2 203.0.113.7:51234", headers);
        Assert.Contains("v2 198.51.100.9:40000", headers);
    }

    [Fact]
    public async Task Use_backend_by_path_sends_each_virtual_directory_to_its_own_servers()
    {
        await using var run = new CorpusRun();
        var (main, activeSync) = (CorpusRun.DualPort(), CorpusRun.DualPort());
        await using var exch1 = await FakeCasServer.StartAsync("exch1", address: IPAddress.Loopback, port: main);
        await using var exch2 = await FakeCasServer.StartAsync("exch2", address: IPAddress.IPv6Loopback, port: main);
        await using var eas1 = await FakeCasServer.StartAsync("eas1", address: IPAddress.Loopback, port: activeSync);
        await using var eas2 = await FakeCasServer.StartAsync("eas2", address: IPAddress.IPv6Loopback, port: activeSync);
        run.Substitutions["10.0.0.11:443"] = $"127.0.0.1:{main}";
        run.Substitutions["10.0.0.12:443"] = $"[::1]:{main}";
        run.Substitutions["10.0.0.21:443"] = $"127.0.0.1:{activeSync}";
        run.Substitutions["10.0.0.22:443"] = $"[::1]:{activeSync}";
        run.Substitutions["10.0.0.23:443"] = $"127.0.0.1:{CorpusRun.Port()}";
        run.Substitutions["0.0.0.0:443"] = $"127.0.0.1:{CorpusRun.Port()}";

        var proxy = await run.ConvertAndStartAsync("path-routing.cfg", "--ExchangeProxy:Admin:Url=http://127.0.0.1:0");
        await ProbeRounds.FirstRoundAsync(proxy);

        using var client = proxy.CreateClient();
        async Task<string> ServerFor(string path)
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
            return (await EchoResponse.ReadAsync(response)).Server;
        }

        Assert.Matches("^eas[12]$", await ServerFor("/Microsoft-Server-ActiveSync/?Cmd=Ping"));
        foreach (var path in MainPoolPaths)
        {
            Assert.Matches("^exch[12]$", await ServerFor(path));
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/PowerShell/")).StatusCode);
    }

    private static async Task<string> BannerAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await reader.ReadLineAsync(timeout.Token) ?? "";
    }

    /// <summary>Sends a PROXY header as an upstream balancer would, and returns the greeting of the server it reached.</summary>
    private static async Task<string> ThroughProxyHeaderAsync(int port, string header)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(header));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await reader.ReadLineAsync(timeout.Token) ?? "";
    }

    [GeneratedRegex(@"^listen (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex ListenAddress();
}
