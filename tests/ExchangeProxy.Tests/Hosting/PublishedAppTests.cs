using System.Net;
using System.Net.Security;
using System.Text.Json;
using System.Text.RegularExpressions;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Hosting;

/// <summary>
/// No Docker engine runs here, so this runs what the Dockerfile runs: its own `dotnet publish` line, then the
/// published app with the image's environment (ENV lines), the config at the mounted path, and its HEALTHCHECK.
/// </summary>
[Collection(BuildsTheProject.Name)]
public sealed partial class PublishedAppTests : TwoCasServersTest
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_published_app_runs_as_the_container_runs_it_and_proxies()
    {
        var dockerfile = await File.ReadAllTextAsync(Repository.PathOf("Dockerfile"));
        var work = Directory.CreateTempSubdirectory("exproxy-publish-").FullName;
        try
        {
            var app = Path.Combine(work, "app");
            var publish = PublishLine().Match(dockerfile);
            Assert.True(publish.Success, "the Dockerfile has a `RUN dotnet publish ... -o /app` line");
            var publishArgs = publish.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            await using (var build = ProxyProcess.Start("dotnet", ["publish", .. publishArgs, "-o", app], Repository.Root))
            {
                Assert.True(await build.ExitCodeAsync(Timeout) == 0, build.Stdout + build.Stderr);
            }

            // The image's environment, with the paths and port moved into this test's own directory.
            var environment = EnvLines(dockerfile);
            Assert.Equal("Production", environment["ASPNETCORE_ENVIRONMENT"]);
            var configPath = Path.Combine(work, "etc", Path.GetFileName(environment["EXCHANGEPROXY_CONFIG"]));
            Directory.CreateDirectory(Path.GetDirectoryName(configPath)!);
            Config().WriteTo(configPath);
            environment["EXCHANGEPROXY_CONFIG"] = configPath;
            environment["Kestrel__Endpoints__Https__Url"] = "https://127.0.0.1:0";
            Assert.Equal("/var/lib/exchangeproxy/state.json", environment["ExchangeProxy__Admin__StateFile"]);
            environment["ExchangeProxy__Admin__StateFile"] = Path.Combine(work, "state.json");
            environment["DOTNET_RUNNING_IN_CONTAINER"] = "true";

            await using var proxy = ProxyProcess.Start("dotnet", [Path.Combine(app, "ExchangeProxy.dll")], app, environment);
            var url = (await proxy.WaitForOutputAsync(ProxyProcess.ListeningPattern, Timeout)).Groups[1].Value;

            var hash = Certificate.Certificate.GetCertHashString();
            using var client = new HttpClient(new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == hash },
            });
            var echo = await EchoResponse.ReadAsync(await client.GetAsync($"{url}/owa/"));
            Assert.Matches("^exchange[12]$", echo.Server);

            // Compact JSON on the console, one line per request with its properties.
            await Eventually.TrueAsync(() => proxy.Stdout.Contains("\"RequestPath\":\"/owa/\"", StringComparison.Ordinal), "the request is logged");
            var line = proxy.Stdout.Split('\n').Single(l => l.Contains("\"RequestPath\":\"/owa/\"", StringComparison.Ordinal));
            using var json = JsonDocument.Parse(line);
            Assert.Equal("owa", json.RootElement.GetProperty("Service").GetString());
            Assert.Equal(echo.Server, json.RootElement.GetProperty("Server").GetString());
            Assert.Equal(200, json.RootElement.GetProperty("StatusCode").GetInt32());

            // The HEALTHCHECK command, pointed at this listener.
            var healthcheck = HealthcheckLine().Match(dockerfile);
            Assert.True(healthcheck.Success, "the Dockerfile has a HEALTHCHECK running --probe");
            await using (var probe = ProxyProcess.Start("dotnet", [Path.Combine(app, "ExchangeProxy.dll"), "--probe", $"{url}/health/live"], app))
            {
                Assert.Equal(0, await probe.ExitCodeAsync(Timeout));
            }

            // docker stop: SIGTERM during a long request. It completes; new connections are refused; exit 0.
            var longRequest = client.GetAsync($"{url}/owa/?delayMs=3000");
            await Eventually.TrueAsync(() => Exchange1.InFlight + Exchange2.InFlight == 1, "the long request reached its server");
            proxy.Terminate();
            var port = new Uri(url).Port;
            await Eventually.TrueAsync(() => !Accepts(port), "the listener stops accepting");
            using (var answered = await longRequest)
            {
                Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            }

            Assert.Equal(0, await proxy.ExitCodeAsync(Timeout));
            Assert.Contains("Stopping: no new connections", proxy.Stdout, StringComparison.Ordinal);
            // The log is written in batches off the request path; the last lines are still written at exit.
            Assert.Equal(2, proxy.Stdout.Split('\n').Count(l => l.Contains("\"RequestPath\":\"/owa/\"", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var socket = new System.Net.Sockets.TcpClient();
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static Dictionary<string, string> EnvLines(string dockerfile)
    {
        var block = EnvBlock().Match(dockerfile).Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal);
        return block.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1]);
    }

    [GeneratedRegex(@"RUN dotnet publish (.+) -o /app")]
    private static partial Regex PublishLine();

    [GeneratedRegex(@"^ENV ((?:.*\\\n)*.*)$", RegexOptions.Multiline)]
    private static partial Regex EnvBlock();

    [GeneratedRegex(@"HEALTHCHECK .*\\\n\s*CMD \[""dotnet"", ""/app/ExchangeProxy.dll"", ""--probe"", ""https://127.0.0.1:8443/health/live""\]")]
    private static partial Regex HealthcheckLine();
}
