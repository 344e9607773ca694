using System.Text;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Tcp;

/// <summary>SMTP through a layer-4 listener, sent by swaks (a real SMTP client) to a small real SMTP server.</summary>
public sealed class SmtpListenerTests : IAsyncLifetime
{
    private readonly TestCertificate _certificate = new();
    private FakeSmtpServer _smtp = null!;

    public Task InitializeAsync()
    {
        _smtp = new FakeSmtpServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _smtp.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task A_message_sent_with_swaks_through_a_submission_listener_arrives_byte_for_byte()
    {
        var config = new ProxyConfig(_certificate).Server("mail1", "127.0.0.1");
        foreach (var service in new[] { "owa", "ecp", "ews", "activesync", "rpc", "mapi", "oab", "autodiscover", "powershell" })
        {
            config.Service(service, new JsonObject { ["Enabled"] = false });
        }

        config.Listener("submission", new JsonObject { ["Listen"] = "127.0.0.1:0", ["Port"] = _smtp.Port, ["Check"] = new JsonObject { ["Type"] = "Smtp" } });
        await using var proxy = await RunningProxy.StartAsync(config);
        await ProbeRounds.FirstRoundAsync(proxy);
        var body = new StringBuilder()
            .Append("From: alice@contoso.test\r\nTo: bob@contoso.test\r\nSubject: through the proxy\r\n\r\n");
        for (var i = 0; i < 200; i++)
        {
            body.Append("Line ").Append(i).Append(": the quick brown fox jumps over the lazy dog.\r\n");
        }

        var message = Path.Combine(Path.GetTempPath(), $"exproxy-mail-{Guid.NewGuid():N}.eml");
        await File.WriteAllTextAsync(message, body.ToString());
        try
        {
            var listener = proxy.TcpListener("submission");
            await using var swaks = ProxyProcess.Start("swaks",
                ["--server", listener.Address.ToString(), "--port", listener.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--from", "alice@contoso.test", "--to", "bob@contoso.test", "--data", message, "--timeout", "20"]);
            Assert.True(await swaks.ExitCodeAsync(TimeSpan.FromSeconds(60)) == 0, swaks.Stdout + swaks.Stderr);
        }
        finally
        {
            File.Delete(message);
        }

        // swaks sends the file, then CRLF "." CRLF: the file's last line end plus that CRLF make one empty line.
        Assert.Equal(body + "\r\n", Encoding.ASCII.GetString(Assert.Single(_smtp.Messages)));
        Assert.Equal("Up", proxy.Services.GetRequiredService<ExchangeProxy.Health.HealthStates>().Find("submission", "mail1")!.State.ToString());
        await Eventually.TrueAsync(() => proxy.Logs.Entries.Any(e => e.Message.Contains("\"submission\" -> \"submission\"/\"mail1\"", StringComparison.Ordinal)),
            "the connection is logged");
    }
}
