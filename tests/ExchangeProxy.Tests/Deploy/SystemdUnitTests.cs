using System.Net;
using System.Runtime.Versioning;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Deploy;

/// <summary>
/// deploy/systemd/exchangeproxy.service as systemd would run it, without a systemd to run it: systemd's own
/// check of the file, then the published app started with the unit's command, environment and working folder,
/// as an unprivileged user (the unit's User=) with the configuration folder it cannot write (ReadOnlyPaths=,
/// and root-owned as the unit's header installs it) and the state folder it owns (StateDirectory=).
/// </summary>
[Collection(BuildsTheProject.Name)]
[UnsupportedOSPlatform("windows")]
public sealed class SystemdUnitTests(PublishedApp app) : TwoCasServersTest, IClassFixture<PublishedApp>
{
    private const string Unprivileged = "65534";
    private const string AdminListeningPattern = @"Now listening on: \\?""?(http://127\.0\.0\.1:\d+)";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Systemd_accepts_the_unit_without_a_warning()
    {
        await using var verify = ProxyProcess.Start("systemd-analyze", ["verify", Repository.PathOf(PublishedApp.UnitPath)]);
        Assert.Equal(0, await verify.ExitCodeAsync(Timeout));
        Assert.DoesNotContain("exchangeproxy.service", verify.Stdout + verify.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_unit_runs_the_published_app_whose_drain_calls_write_the_state_directory_not_the_read_only_configuration()
    {
        var unit = Unit();
        var environment = unit["Environment"].Select(e => e.Split('=', 2)).ToDictionary(e => e[0], e => e[1]);
        var configFolder = Path.GetDirectoryName(environment["EXCHANGEPROXY_CONFIG"])!;
        Assert.Contains(configFolder, unit["ReadOnlyPaths"].SelectMany(p => p.Split(' ')));
        var stateFolder = "/var/lib/" + unit["StateDirectory"].Single();

        var work = Directory.CreateTempSubdirectory("exproxy-systemd-").FullName;
        try
        {
            PublishedApp.Chmod(work, "755");
            var etc = Directory.CreateDirectory(Path.Combine(work, "etc")).FullName;
            var state = Directory.CreateDirectory(Path.Combine(work, "state")).FullName;
            // The unit's paths, moved into this test's folder.
            string Move(string value) => value
                .Replace(configFolder, etc, StringComparison.Ordinal)
                .Replace(stateFolder, state, StringComparison.Ordinal)
                .Replace("/opt/exchangeproxy", app.Folder, StringComparison.Ordinal);

            // StateDirectory= makes the folder the user's.
            await using (var chown = ProxyProcess.Start("chown", [$"{Unprivileged}:{Unprivileged}", state]))
            {
                Assert.Equal(0, await chown.ExitCodeAsync(Timeout));
            }

            var config = Config();
            var certificate = Path.Combine(Directory.CreateDirectory(Path.Combine(etc, "certs")).FullName, "mail.pfx");
            File.Copy(Certificate.PfxPath, certificate);
            PublishedApp.Chmod(certificate, "644");
            config.Root["Kestrel"]!["Endpoints"]!["Https"]!["Certificate"]!["Path"] = certificate;
            config.WriteTo(Move(environment["EXCHANGEPROXY_CONFIG"]));

            var childEnvironment = environment.ToDictionary(e => e.Key, e => Move(e.Value));
            // systemd sets HOME to the user's home: the header's useradd makes it the state folder.
            childEnvironment["HOME"] = state;
            string[] asUser = ["setpriv", $"--reuid={Unprivileged}", $"--regid={Unprivileged}", "--clear-groups", "--"];
            await using (var writable = ProxyProcess.Start(asUser[0], [.. asUser[1..], "test", "-w", etc]))
            {
                Assert.True(await writable.ExitCodeAsync(Timeout) != 0, "the configuration folder is read-only to the unit's user");
            }

            var command = unit["ExecStart"].Single().Split(' ').Select(Move).ToArray();
            await using var proxy = ProxyProcess.Start(asUser[0], [.. asUser[1..], .. command], Move(unit["WorkingDirectory"].Single()), childEnvironment);
            await proxy.WaitForOutputAsync(ProxyProcess.ListeningPattern, Timeout);
            var admin = (await proxy.WaitForOutputAsync(AdminListeningPattern, Timeout)).Groups[1].Value;

            using var client = new HttpClient();
            client.DefaultRequestHeaders.Add(ExchangeProxy.Admin.CrossSiteGuard.HeaderName, "1");
            using var drain = await client.PostAsync($"{admin}/api/servers/exchange1/drain", content: null);
            Assert.True(drain.StatusCode == HttpStatusCode.OK, await drain.Content.ReadAsStringAsync() + proxy.Stdout);
            Assert.Contains("exchange1", await File.ReadAllTextAsync(Path.Combine(state, "state.json")), StringComparison.Ordinal);
            Assert.Equal(["appsettings.json", "certs"], Directory.GetFileSystemEntries(etc).Select(Path.GetFileName).Order());

            proxy.Terminate();
            Assert.Equal(0, await proxy.ExitCodeAsync(Timeout));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The [Service] settings, each key with every value it is given.</summary>
    private static Dictionary<string, List<string>> Unit() =>
        File.ReadAllLines(Repository.PathOf(PublishedApp.UnitPath))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0], p => p[1])
            .ToDictionary(g => g.Key, g => g.ToList());
}
