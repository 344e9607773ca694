using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Hosting;

public sealed class CommandLineTests : TwoCasServersTest
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(60);

    private static string Write(ProxyConfig config)
    {
        var directory = Directory.CreateTempSubdirectory("exproxy-cli-").FullName;
        return config.WriteTo(Path.Combine(directory, "appsettings.json"));
    }

    [Fact]
    public async Task Version_prints_the_version_and_the_runtime_and_exits_zero()
    {
        await using var process = ProxyProcess.StartBuilt("--version");

        Assert.Equal(0, await process.ExitCodeAsync(ProcessTimeout));
        Assert.Matches(@"^ExchangeProxy \d+\.\d+\.\d+\S* on \.NET 10\.", process.Stdout);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_names_every_switch_and_exits_zero_without_starting(string help)
    {
        // Started without a configuration file: serving would fail, so exit 0 shows nothing was started.
        await using var process = ProxyProcess.StartBuilt(help, "--config", "/nonexistent/appsettings.json");

        Assert.Equal(0, await process.ExitCodeAsync(ProcessTimeout));
        foreach (var option in new[] { "--config PATH", "--demo", "--check-config", "--probe URL", "--hash-password", "--import-haproxy", "--out PATH", "--version", "--help", "--Section:Key=value" })
        {
            Assert.Contains(option, process.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_config_accepts_a_valid_file()
    {
        await using var process = ProxyProcess.StartBuilt("--check-config", Write(Config()));

        Assert.Equal(0, await process.ExitCodeAsync(ProcessTimeout));
        Assert.Contains("configuration is valid (2 servers, 9 services)", process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_config_names_every_key_at_fault()
    {
        var config = Config().Service("owa", new JsonObject { ["Servers"] = new JsonArray("exchange3"), ["ActivityTimeout"] = "-00:00:01" });
        config.Root["Kestrel"]!["Endpoints"]!["Https"]!["Certificate"]!["Path"] = "/nonexistent/mail.pfx";
        await using var process = ProxyProcess.StartBuilt("--check-config", Write(config));

        Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
        Assert.Contains("ExchangeProxy:Services:owa:Servers:0: unknown server 'exchange3'", process.Stderr, StringComparison.Ordinal);
        Assert.Contains("ExchangeProxy:Services:owa:ActivityTimeout:", process.Stderr, StringComparison.Ordinal);
        Assert.Contains("Kestrel:Endpoints:Https:Certificate:Path: certificate file '/nonexistent/mail.pfx' does not exist", process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_config_lists_every_error_of_every_kind_in_one_pass()
    {
        var config = Config().Service("owa", new JsonObject
        {
            ["ActivityTimeout"] = "ten minutes",
            ["Check"] = new JsonObject { ["Rise"] = 0 },
        });
        config.Section["TrustedProxies"] = new JsonArray("10.0.0.0/33");
        config.Section["Servers"]![0]!["Weight"] = 300;
        config.Section["Colour"] = "blue";
        config.Root["ReverseProxy"] = JsonNode.Parse("""{ "Routes": { "own": { "ClusterId": "missing", "Match": { "Path": "/x" } } } }""");
        await using var process = ProxyProcess.StartBuilt("--check-config", Write(config));

        Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
        foreach (var key in new[]
        {
            "ExchangeProxy:Services:owa:ActivityTimeout: 'ten minutes' is not a valid duration",
            "ExchangeProxy:Services:owa:Check:Rise: 0 is outside 1..100",
            "ExchangeProxy:TrustedProxies:0: '10.0.0.0/33' is not an IP address or CIDR network",
            "ExchangeProxy:Servers:0:Weight: 300 is outside 0..256",
            "ExchangeProxy:Colour: unknown key 'Colour'",
            "ReverseProxy:Routes:own:ClusterId: unknown cluster 'missing'",
        })
        {
            Assert.Contains(key, process.Stderr, StringComparison.Ordinal);
        }

        Assert.Contains("configuration rejected, 6 error(s)", process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_config_refuses_a_file_that_is_not_json_and_a_bad_yarp_route()
    {
        var notJson = Write(Config());
        await File.WriteAllTextAsync(notJson, "{ \"ExchangeProxy\": ");
        await using (var process = ProxyProcess.StartBuilt("--check-config", notJson))
        {
            Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
            Assert.Contains(notJson, process.Stderr, StringComparison.Ordinal);
        }

        var config = Config();
        config.Root["ReverseProxy"] = JsonNode.Parse("""{ "Routes": { "own": { "ClusterId": "missing", "Match": { "Path": "/x" } } } }""");
        await using (var process = ProxyProcess.StartBuilt("--check-config", Write(config)))
        {
            Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
            Assert.Contains("ReverseProxy:Routes:own:ClusterId: unknown cluster 'missing'", process.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Starting_with_a_bad_configuration_exits_non_zero_naming_the_key()
    {
        var config = Config();
        config.Section["Servers"]![1]!["Name"] = "exchange1";
        await using var process = ProxyProcess.StartBuilt("--config", Write(config));

        Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
        Assert.Contains("ExchangeProxy:Servers:1:Name: duplicate server name 'exchange1'", process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Starting_without_the_configuration_file_says_where_it_looked()
    {
        await using var process = ProxyProcess.StartBuilt("--config", "/nonexistent/appsettings.json");

        Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
        Assert.Contains("configuration file '/nonexistent/appsettings.json' does not exist", process.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_serves_two_fake_cas_servers_through_the_proxy()
    {
        await using var process = ProxyProcess.StartBuilt("--demo", "--Demo:Port=0", "--ExchangeProxy:Admin:Url=http://127.0.0.1:0", "--config", "/nonexistent/appsettings.json");
        var url = (await process.WaitForOutputAsync(ProxyProcess.ListeningPattern, ProcessTimeout)).Groups[1].Value;

        await DemoAssert.BothServersAnswerAsync(url);
    }

    [Fact]
    public async Task The_demo_refuses_to_start_beside_real_servers()
    {
        await using var process = ProxyProcess.StartBuilt("--demo", "--Demo:Port=0", "--config", Write(Config()));

        Assert.Equal(1, await process.ExitCodeAsync(ProcessTimeout));
        Assert.Contains("--demo runs its own fake CAS servers and refuses to start while real servers are configured", process.Stderr, StringComparison.Ordinal);
    }
}
