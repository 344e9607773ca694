using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Hosting;

/// <summary>A connection flood meets one limit for all public listeners: the process lives, the admin listener answers.</summary>
[Collection(BuildsTheProject.Name)]
public sealed partial class ConnectionLimitTests : TwoCasServersTest
{
    /// <summary>Connections that the proxy closed at once: a read ends (or is reset) within a second, read all at the same time.</summary>
    private static async Task<int> ClosedAsync(IEnumerable<Socket> sockets)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        var closed = await Task.WhenAll(sockets.Select(async socket =>
        {
            try
            {
                return await socket.ReceiveAsync(new byte[1], SocketFlags.None, wait.Token) == 0;
            }
            catch (SocketException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }));
        return closed.Count(c => c);
    }

    /// <summary>The sockets, and how many connects were refused or reset outright (the proxy closing them before the connect returned).</summary>
    private static async Task<(List<Socket> Sockets, int Failed)> OpenAsync(IPEndPoint endpoint, int count)
    {
        var sockets = new List<Socket>();
        var failed = 0;
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endpoint);
                sockets.Add(socket);
            }
            catch (SocketException)
            {
                socket.Dispose();
                failed++;
            }
        }

        return (sockets, failed);
    }

    [Fact]
    public async Task Past_the_limit_new_connections_are_closed_the_open_ones_and_the_admin_listener_keep_working()
    {
        var config = Config();
        config.Section["MaxConnections"] = 20;
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);

        // The client's own connection counts: 19 more fill the limit, the next 10 are refused.
        var (held, failed) = await OpenAsync(new IPEndPoint(IPAddress.Loopback, proxy.Address.Port), 29);
        try
        {
            Assert.Equal(10, failed + await ClosedAsync(held));
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
            using var admin = proxy.CreateAdminClient();
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/live")).StatusCode);
            Assert.Single(proxy.Logs.Entries, e => e.Message.StartsWith("Connection limit reached (20", StringComparison.Ordinal));
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Message.StartsWith("Below the connection limit (20)", StringComparison.Ordinal)),
            "the limit clears once the flood is gone");
        using var fresh = proxy.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/owa/")).StatusCode);
    }

    [Fact]
    public async Task A_flood_of_3000_connections_against_an_open_file_limit_of_1024_leaves_the_process_alive_and_serving()
    {
        var work = Directory.CreateTempSubdirectory("exproxy-flood-").FullName;
        try
        {
            var config = Config();
            var configPath = Path.Combine(work, "appsettings.json");
            config.WriteTo(configPath);
            await using var proxy = ProxyProcess.Start("prlimit", ["--nofile=1024:1024", "dotnet", ProxyProcess.BuiltDll, "--config", configPath]);
            var url = new Uri((await proxy.WaitForOutputAsync(ProxyProcess.ListeningPattern, TimeSpan.FromMinutes(2))).Groups[1].Value);
            var admin = new Uri((await proxy.WaitForOutputAsync(@"Now listening on: \\?""?(http://127\.0\.0\.1:\d+)", TimeSpan.FromSeconds(30))).Groups[1].Value);

            try
            {
                var flood = new List<Socket>();
                try
                {
                    for (var i = 0; i < 3000; i++)
                    {
                        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                        flood.Add(socket);
                        try
                        {
                            await socket.ConnectAsync(IPAddress.Loopback, url.Port);
                        }
                        catch (SocketException)
                        {
                            // The backlog is full while the proxy refuses: the flood goes on.
                        }
                    }

                    // Derived from 1024 open files: (1024 - those open at start - 128) / 2, some 280 connections.
                    await Eventually.TrueAsync(() => proxy.Stdout.Contains("Connection limit reached (", StringComparison.Ordinal),
                        "the limit derived from the open-file limit is reached and said");
                    using var health = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                    Assert.Equal(HttpStatusCode.OK, (await health.GetAsync(new Uri(admin, "/health/live"))).StatusCode);
                }
                finally
                {
                    flood.ForEach(s => s.Dispose());
                }

                // The flood gone, the proxy serves again.
                var hash = Certificate.Certificate.GetCertHashString();
                using var client = new HttpClient(new SocketsHttpHandler
                {
                    SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == hash },
                });
                await Eventually.TrueAsync(async () =>
                {
                    try
                    {
                        return (await client.GetAsync(new Uri(url, "/owa/"))).StatusCode == HttpStatusCode.OK;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, "the proxy serves after the flood");
                Assert.False(proxy.HasExited, proxy.Stderr);
                Assert.DoesNotMatch(OutOfMemory(), proxy.Stdout + proxy.Stderr);
            }
            catch (Exception e)
            {
                // The child's own words say why, where the assertion alone would not.
                throw new Xunit.Sdk.XunitException($"{e.Message}\nThe proxy wrote:\n{Tail(proxy.Stdout)}\n{Tail(proxy.Stderr)}", e);
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];

    [GeneratedRegex("Out of memory|TooManyOpenFiles", RegexOptions.IgnoreCase)]
    private static partial Regex OutOfMemory();
}
