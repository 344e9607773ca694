using System.Net;
using System.Net.Sockets;
using System.Text;
using ExchangeProxy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ExchangeProxy.Tests.Protection;

/// <summary>
/// The same raw bytes sent to the proxy and to HAProxy 2.6 from apt (mode http, the seed's timeouts), both in front of
/// the same server, one that records every request head reaching its socket: what each proxy answers, and whether it
/// passed anything on. The table is the README's.
/// </summary>
public sealed class StrictHttpTests(ITestOutputHelper output)
{
    private const string Post = "POST /owa/service.svc HTTP/1.1\r\nHost: mail.contoso.test\r\n";
    private const string Get = "GET /owa/x HTTP/1.1\r\nHost: mail.contoso.test\r\n";

    /// <summary>Name, bytes, then (status, reached the server) for ExchangeProxy and for HAProxy.</summary>
    public static readonly (string Name, string Bytes, string Ours, bool OursForwards, string Haproxy, bool HaproxyForwards)[] Cases =
    [
        ("both lengths (CL.TE)", Post + "Content-Length: 40\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /owa/smuggled HTTP/1.1\r\nHost: x\r\n\r\n", "400", false, "200", true),
        ("both lengths (TE.CL)", Post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5c\r\nGPOST /owa/smuggled HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1\r\n0\r\n\r\n", "400", false, "200", true),
        ("Content-Length: +5", Post + "Content-Length: +5\r\n\r\nhello", "400", false, "400", false),
        ("Content-Length: -0", Post + "Content-Length: -0\r\n\r\n", "400", false, "400", false),
        ("Content-Length: 005", Post + "Content-Length: 005\r\n\r\nhello", "200", true, "200", true),
        ("Content-Length twice, same value", Post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", "400", false, "200", true),
        ("Content-Length twice, different values", Post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "400", false, "400", false),
        ("Content-Length: 5, 5", Post + "Content-Length: 5, 5\r\n\r\nhello", "400", false, "200", true),
        ("Content-Length: 0x5", Post + "Content-Length: 0x5\r\n\r\nhello", "400", false, "400", false),
        ("Transfer-Encoding: gzip", Post + "Transfer-Encoding: gzip\r\n\r\nhello", "400", false, "400", false),
        ("Transfer-Encoding: xchunked", Post + "Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400", false, "400", false),
        ("Transfer-Encoding: chunked, chunked", Post + "Transfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400", false, "400", false),
        ("Transfer-Encoding : chunked (space before colon)", Post + "Transfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400", false, "400", false),
        ("Transfer-Encoding in HTTP/1.0", "POST /owa/service.svc HTTP/1.0\r\nHost: mail.contoso.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400", false, "200", true),
        ("chunk size not hex", Post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "400", false, "400", false),
        ("chunk size overflows", Post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff1\r\nhello\r\n0\r\n\r\n", "400", false, "400", false),
        ("chunk without its CRLF", Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", "400", false, "400", false),
        ("chunked, well formed, with an extension", Post + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n", "200", true, "200", true),
        ("NUL in a header value", Get + "X-A: a\0b\r\n\r\n", "400", false, "200", true),
        ("CR in a header value", Get + "X-A: a\rb\r\n\r\n", "400", false, "400", false),
        ("obs-fold", Get + "X-A: a\r\n b\r\n\r\n", "400", false, "200", true),
        ("HTTP/1.1 without Host", "GET /owa/x HTTP/1.1\r\n\r\n", "400", false, "200", true),
        ("HTTP/1.0 without Host", "GET /owa/x HTTP/1.0\r\n\r\n", "200", true, "200", true),
        ("Host twice", Get + "Host: other\r\n\r\n", "400", false, "400", false),
        ("bare LF line ends", "GET /owa/x HTTP/1.1\nHost: mail.contoso.test\n\n", "200", true, "200", true),
        ("space in a header name", Get + "X A: b\r\n\r\n", "400", false, "400", false),
        ("absolute form, another host", "GET https://evil.example/owa/x HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n", "400", false, "400", false),
        ("two spaces after the method", "GET  /owa/x HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n", "400", false, "200", true),
        ("HTTP/0.9 request line", "GET /owa/x\r\n\r\n", "400", false, "400", false),
        ("HTTP/1.2", "GET /owa/x HTTP/1.2\r\nHost: mail.contoso.test\r\n\r\n", "505", false, "200", true),
        ("150 headers", Get + string.Concat(Enumerable.Range(0, 150).Select(i => $"X-{i}: v\r\n")) + "\r\n", "431", false, "400", false),
        ("space in the path", "GET /owa/a b HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n", "400", false, "400", false),
        ("raw UTF-8 in the path", "GET /owa/\u00c3\u00a9 HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n", "400", false, "400", false),
        ("fragment in the target", "GET /owa/x#frag HTTP/1.1\r\nHost: mail.contoso.test\r\n\r\n", "400", false, "400", false),
    ];

    [Fact]
    public async Task Every_raw_request_gets_the_answer_in_the_table_beside_what_haproxy_does_with_the_same_bytes()
    {
        await using var server = new RawHttpRecorder();
        using var certificate = new TestCertificate();
        var config = new ProxyConfig(certificate);
        config.Server("exchange1", $"http://127.0.0.1:{server.Port}");
        await using var proxy = await RunningProxy.StartAsync(config);
        await using var haproxy = await HaproxyProcess.StartAsync($$"""
            defaults
                mode http
                timeout http-request 10s
                timeout http-keep-alive 10s
                timeout server 10s
                timeout connect 10s
                timeout client 10s
            frontend exchange
                bind 127.0.0.1:{port}
                default_backend cas
            backend cas
                server exchange1 127.0.0.1:{{server.Port}}
            """);

        var differences = new List<string>();
        var table = new StringBuilder("| request | ExchangeProxy | HAProxy 2.6 |\n|---|---|---|\n");
        foreach (var (name, bytes, ours, oursForwards, haproxyAnswer, haproxyForwards) in Cases)
        {
            var raw = Encoding.Latin1.GetBytes(bytes);
            var (ourStatus, ourForwarded) = await SendAsync(server, async () => (await RawHttpsClient.ConnectAsync(proxy.Address, certificate)).Stream, raw);
            var (theirStatus, theirForwarded) = await SendAsync(server, () => Task.FromResult<Stream>(Connect(haproxy.Port)), raw);
            table.Append(System.Globalization.CultureInfo.InvariantCulture, $"| {name} | {Describe(ourStatus, ourForwarded)} | {Describe(theirStatus, theirForwarded)} |\n");
            if (ourStatus != ours || ourForwarded != oursForwards)
            {
                differences.Add($"{name}: ExchangeProxy answered {Describe(ourStatus, ourForwarded)}, the table says {Describe(ours, oursForwards)}");
            }

            if (theirStatus != haproxyAnswer || theirForwarded != haproxyForwards)
            {
                differences.Add($"{name}: HAProxy answered {Describe(theirStatus, theirForwarded)}, the table says {Describe(haproxyAnswer, haproxyForwards)}");
            }
        }

        output.WriteLine(table.ToString());
        Assert.True(differences.Count == 0, string.Join("\n", differences) + "\n" + table);
    }

    [Fact]
    public async Task A_plain_http_listener_behind_an_offloading_balancer_is_as_strict_and_a_layer_4_listener_is_not_read_as_http()
    {
        await using var server = new RawHttpRecorder();
        using var certificate = new TestCertificate();
        var config = new ProxyConfig(certificate);
        config.Server("exchange1", $"http://127.0.0.1:{server.Port}");
        config.Root["Kestrel"]!["Endpoints"]!["Plain"] = new System.Text.Json.Nodes.JsonObject { ["Url"] = "http://127.0.0.1:0" };
        config.Listener("smtp", new System.Text.Json.Nodes.JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = server.Port, ["Servers"] = new System.Text.Json.Nodes.JsonArray("exchange1") });
        await using var proxy = await RunningProxy.StartAsync(config);
        var plain = proxy.Addresses.Single(a => a.Scheme == Uri.UriSchemeHttp && a != proxy.AdminAddress && a.Port != proxy.TcpListener("smtp").Port);

        var (status, forwarded) = await SendAsync(server, () => Task.FromResult<Stream>(Connect(plain.Port)), Encoding.ASCII.GetBytes(Post + "Content-Length: +5\r\n\r\nhello"));
        Assert.Equal(("400", false), (status, forwarded));
        (status, forwarded) = await SendAsync(server, () => Task.FromResult<Stream>(Connect(plain.Port)), Encoding.ASCII.GetBytes(Get + "\r\n"));
        Assert.Equal(("200", true), (status, forwarded));

        // Through the layer-4 listener the same bytes are only bytes: they reach the server as sent.
        (status, forwarded) = await SendAsync(server, () => Task.FromResult<Stream>(Connect(proxy.TcpListener("smtp").Port)), Encoding.ASCII.GetBytes(Post + "Content-Length: +5\r\n\r\nhello"));
        Assert.Equal(("200", true), (status, forwarded));
    }

    private static string Describe(string status, bool forwarded) => forwarded ? $"{status}, forwarded" : $"{status}, nothing forwarded";

    /// <summary>Writes the bytes on a new connection; returns the first status code (or "closed") and whether the server saw a request.</summary>
    private static async Task<(string Status, bool Forwarded)> SendAsync(RawHttpRecorder server, Func<Task<Stream>> connect, byte[] bytes)
    {
        var before = server.RequestLines.Count;
        await using var stream = await connect();
        await stream.WriteAsync(bytes);
        await stream.FlushAsync();
        var status = await ReadStatusAsync(stream);
        // What the server saw arrives with or before the answer; a little more for a server still reading.
        await Task.Delay(200);
        return (status, server.RequestLines.Count > before);
    }

    private static async Task<string> ReadStatusAsync(Stream stream)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var line = new StringBuilder();
        var one = new byte[1];
        try
        {
            while (!line.ToString().EndsWith('\n') && await stream.ReadAsync(one, deadline.Token) == 1)
            {
                line.Append((char)one[0]);
            }
        }
        catch (IOException)
        {
            // A reset after the answer was read, or instead of one.
        }

        var parts = line.ToString().Split(' ');
        return parts.Length > 1 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal) ? parts[1] : "closed";
    }

    private static NetworkStream Connect(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(IPAddress.Loopback, port);
        return new NetworkStream(socket, ownsSocket: true);
    }
}
