using System.Diagnostics;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

/// <summary>
/// The listener's certificate file renewed on disk, without a restart: rewritten in place, caught half-written,
/// swapped behind a symbolic link as Kubernetes updates a Secret. (Written whole and renamed over the old file:
/// <c>ProbeLoopTests.A_renewed_listener_certificate_is_what_the_extended_protection_check_compares_with</c>.)
/// </summary>
public sealed class ListenerCertificateRenewalTests : TwoCasServersTest
{
    [Fact]
    public async Task A_certificate_file_rewritten_in_place_is_presented_to_new_connections_without_a_restart()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        Assert.Equal(Certificate.Certificate.Thumbprint, await proxy.ListenerThumbprintAsync());
        using var renewed = new TestCertificate();

        await File.WriteAllBytesAsync(Certificate.PfxPath, await File.ReadAllBytesAsync(renewed.PfxPath));

        await Eventually.TrueAsync(async () => await proxy.ListenerThumbprintAsync() == renewed.Certificate.Thumbprint,
            "a new connection meets the renewed certificate");
    }

    [Fact]
    public async Task A_half_written_certificate_file_leaves_the_listener_and_its_checks_on_the_previous_certificate_until_it_is_whole()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await ProbeRounds.FirstRoundAsync(proxy);
        // The fakes present certificates of their own: both differ from the listener's.
        await Eventually.TrueAsync(async () => (await ExtendedProtectionWarnedAsync(proxy)).Length == 2, "both servers are compared with the listener's certificate");
        var address = proxy.CurrentHttpsAddress();
        using var renewed = new TestCertificate();
        var whole = await File.ReadAllBytesAsync(renewed.PfxPath);

        await File.WriteAllBytesAsync(Certificate.PfxPath, whole[..(whole.Length / 2)]);

        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Level == LogLevel.Warning
                && e.Message.Contains(Certificate.PfxPath, StringComparison.Ordinal)
                && e.Message.Contains("keeps its previous certificate", StringComparison.Ordinal)),
            "the log says the file could not be read and what the listener does");
        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Level == LogLevel.Critical
                && e.Message.Contains("Unable to reload configuration", StringComparison.Ordinal)),
            "Kestrel read the half-written file and refused it");
        // Not bound anew (here another port would be), and still presenting the previous certificate.
        Assert.Equal(address, proxy.CurrentHttpsAddress());
        Assert.Equal(Certificate.Certificate.Thumbprint, await proxy.ListenerThumbprintAsync());
        Assert.Equal(["exchange1", "exchange2"], await ExtendedProtectionWarnedAsync(proxy));

        await File.WriteAllBytesAsync(Certificate.PfxPath, whole);

        await Eventually.TrueAsync(async () => await proxy.ListenerThumbprintAsync() == renewed.Certificate.Thumbprint,
            "the whole file is presented once it is written");
    }

    [Fact]
    public async Task A_certificate_swapped_behind_a_symbolic_link_as_a_kubernetes_secret_is_presented_and_checked()
    {
        using var renewed = new TestCertificate();
        await using var exchange = await FakeCasServer.StartAsync("exchange1", certificate: renewed.Certificate);
        // What the kubelet makes of a Secret volume: mail.pfx -> ..data/mail.pfx, ..data -> a timestamped directory.
        var secret = Directory.CreateTempSubdirectory("exproxy-secret-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(secret, "..2026_01"));
            File.Copy(Certificate.PfxPath, Path.Combine(secret, "..2026_01", "mail.pfx"));
            File.CreateSymbolicLink(Path.Combine(secret, "..data"), "..2026_01");
            File.CreateSymbolicLink(Path.Combine(secret, "mail.pfx"), Path.Combine("..data", "mail.pfx"));
            var config = new ProxyConfig(Certificate, exchange);
            config.Root["Kestrel"]!["Endpoints"]!["Https"]!["Certificate"]!["Path"] = Path.Combine(secret, "mail.pfx");
            await using var proxy = await RunningProxy.StartAsync(config);
            await ProbeRounds.FirstRoundAsync(proxy);
            await Eventually.TrueAsync(async () => (await ExtendedProtectionWarnedAsync(proxy)).SequenceEqual(["exchange1"]),
                "exchange1 presents a certificate other than the listener's");

            // The renewal, as the kubelet writes it: a new directory, then ..data swapped to it in one rename.
            Directory.CreateDirectory(Path.Combine(secret, "..2026_02"));
            File.Copy(renewed.PfxPath, Path.Combine(secret, "..2026_02", "mail.pfx"));
            File.CreateSymbolicLink(Path.Combine(secret, "..data_tmp"), "..2026_02");
            await RenameAsync(Path.Combine(secret, "..data_tmp"), Path.Combine(secret, "..data"));

            await Eventually.TrueAsync(async () => await proxy.ListenerThumbprintAsync() == renewed.Certificate.Thumbprint,
                "a new connection meets the renewed certificate");
            await Eventually.TrueAsync(async () => (await ExtendedProtectionWarnedAsync(proxy)).Length == 0,
                "the Extended Protection check compares with the renewed certificate");
        }
        finally
        {
            Directory.Delete(secret, recursive: true);
        }
    }

    /// <summary>rename(2) of a symbolic link over another, as the kubelet swaps ..data (File.Move would follow the link to a directory).</summary>
    private static async Task RenameAsync(string from, string to)
    {
        using var mv = Process.Start(new ProcessStartInfo("mv", ["-T", from, to]) { RedirectStandardError = true })!;
        var error = await mv.StandardError.ReadToEndAsync();
        await mv.WaitForExitAsync();
        Assert.True(mv.ExitCode == 0, error);
    }

    private static async Task<string[]> ExtendedProtectionWarnedAsync(RunningProxy proxy)
    {
        using var admin = proxy.CreateAdminClient();
        var health = JsonNode.Parse(await admin.GetStringAsync("/health"))!;
        return [.. health["entries"]!["owa"]!["data"]!["servers"]!.AsArray()
            .Where(s => s!["warning"] is not null).Select(s => s!["name"]!.GetValue<string>()).Order()];
    }
}
