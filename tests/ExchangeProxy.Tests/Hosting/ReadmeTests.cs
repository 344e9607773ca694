using System.Text.RegularExpressions;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Hosting;

/// <summary>The README's first two commands are the ones that work: the demo command is run exactly as written.</summary>
[Collection(BuildsTheProject.Name)]
public sealed partial class ReadmeTests
{
    private static string[] Commands()
    {
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        return [.. ShellBlock().Matches(readme).Take(2).Select(m => m.Groups[1].Value.Trim())];
    }

    [Fact]
    public async Task The_first_command_runs_the_demo_and_both_fake_servers_answer()
    {
        var command = Commands()[0];
        Assert.Equal("dotnet run --project src/ExchangeProxy -- --demo", command);

        var words = command.Split(' ');
        await using var demo = ProxyProcess.Start(words[0], words[1..], Repository.Root);
        var url = (await demo.WaitForOutputAsync(ProxyProcess.ListeningPattern, TimeSpan.FromMinutes(3))).Groups[1].Value;
        Assert.Equal("https://127.0.0.1:5443", url);

        await DemoAssert.BothServersAnswerAsync(url);

        // The stats page the README points a newcomer to shows both demo servers with the requests just sent.
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        var stats = StatsUrl().Match(readme[..readme.IndexOf("## Running it for real", StringComparison.Ordinal)]).Value;
        Assert.Equal("http://127.0.0.1:4711/", stats);
        using var admin = new HttpClient();
        Assert.Contains("ExchangeProxy statistics", await admin.GetStringAsync(stats), StringComparison.Ordinal);
        System.Text.Json.JsonElement[] servers = [];
        await Eventually.TrueAsync(async () =>
        {
            using var json = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync(stats + ";json"));
            servers = [.. json.RootElement.GetProperty("sections").EnumerateArray()
                .Single(s => s.GetProperty("name").GetString() == "owa").GetProperty("servers").EnumerateArray().Select(s => s.Clone())];
            return servers.All(s => s.GetProperty("state").GetString() == "UP");
        }, "the demo servers' first checks are in");
        Assert.Equal([1L, 1L], servers.Select(s => s.GetProperty("total").GetInt64()));
    }

    [Fact]
    public void The_second_command_is_the_test_script_that_ci_runs()
    {
        Assert.Equal("bash tests/run.sh", Commands()[1]);
        Assert.Contains("bash tests/run.sh", File.ReadAllText(Repository.PathOf(".ci/run")), StringComparison.Ordinal);
        Assert.Contains("dotnet test", File.ReadAllText(Repository.PathOf("tests/run.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_layout_section_names_every_folder_of_the_host_and_no_other()
    {
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        var layout = readme[readme.IndexOf("## Layout", StringComparison.Ordinal)..];
        var named = LayoutFolder().Matches(layout).Select(m => m.Groups[1].Value).ToHashSet();
        var folders = Directory.GetDirectories(Repository.PathOf("src/ExchangeProxy"))
            .Select(Path.GetFileName).Where(name => name is not ("bin" or "obj")).ToHashSet();

        Assert.Equal(folders.Order(), named.Order());
    }

    [GeneratedRegex(@"^\| `(\w+)/` \|", RegexOptions.Multiline)]
    private static partial Regex LayoutFolder();

    [GeneratedRegex(@"http://127\.0\.0\.1:\d+/")]
    private static partial Regex StatsUrl();

    [GeneratedRegex(@"```sh\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
