using System.Text.Json;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Tests.Import;

/// <summary><c>--import-haproxy</c> as an operator meets it: where the JSON and the report go, and when nothing is written.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private const string TcpOnly = """
        frontend fe
            mode tcp
            bind :25
            default_backend be
        backend be
            mode tcp
            option smtpchk
            server exch1 10.0.0.11:25 check
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("exproxy-import-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string text)
    {
        var path = Path.Combine(_directory, "haproxy.cfg");
        File.WriteAllText(path, text);
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ProxyProgram.RunAsync(args, TextReader.Null, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Without_out_the_json_goes_to_standard_output_and_the_report_to_standard_error()
    {
        var (exit, output, error) = await RunAsync("--import-haproxy", Write(TcpOnly));

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        Assert.Equal("0.0.0.0:25", json.RootElement.GetProperty("ExchangeProxy").GetProperty("Listeners").GetProperty("fe").GetProperty("Listen").GetString());
        Assert.Contains("haproxy.cfg:7: mapped: option smtpchk -> listener fe: Smtp check", error, StringComparison.Ordinal);
        Assert.Contains("8 lines: 8 mapped, 0 approximated, 0 not supported", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_out_the_file_is_written_and_the_report_goes_to_standard_output()
    {
        var target = Path.Combine(_directory, "appsettings.json");
        var (exit, output, error) = await RunAsync("--import-haproxy", Write(TcpOnly), "--out", target);

        Assert.True(exit == 0, error);
        Assert.Contains("haproxy.cfg:3: mapped: bind :25 -> listener fe on 0.0.0.0:25", output, StringComparison.Ordinal);
        Assert.Contains($"Wrote {target}", output, StringComparison.Ordinal);
        var (checkExit, checkOutput, _) = await RunAsync("--check-config", target);
        Assert.Equal(0, checkExit);
        Assert.Contains("configuration is valid (1 servers, 0 services)", checkOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_input_names_the_file_and_line_exits_1_and_writes_nothing()
    {
        var target = Path.Combine(_directory, "appsettings.json");
        var haproxy = Write(TcpOnly.Replace("server exch1 10.0.0.11:25 check", "server exch1 \"10.0.0.11:25 check", StringComparison.Ordinal));
        var (exit, output, error) = await RunAsync("--import-haproxy", haproxy, "--out", target);

        Assert.Equal(1, exit);
        Assert.Contains($"{haproxy}:8: unterminated double quote", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task A_conversion_that_fails_validation_writes_nothing_and_says_why()
    {
        var target = Path.Combine(_directory, "appsettings.json");
        var haproxy = Write("""
            frontend fe
                mode http
                bind :443 ssl crt /nonexistent/mail.pem
                default_backend be
            backend be
                mode http
                server exch1 10.0.0.11:443 ssl verify none check
            """);
        var (exit, output, error) = await RunAsync("--import-haproxy", haproxy, "--out", target);

        Assert.Equal(1, exit);
        Assert.Contains("fails the proxy's validation", error, StringComparison.Ordinal);
        Assert.Contains("Kestrel:Endpoints:Https:Certificate:Path: certificate file '/nonexistent/mail.pem' does not exist", error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.False(File.Exists(target));
        Assert.Empty(Directory.GetFiles(_directory, "appsettings.json*"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_combined_pem_is_the_certificate_and_its_key_whichever_comes_first(bool keyFirst)
    {
        using var certificate = new Infrastructure.TestCertificate();
        var (cert, key) = (File.ReadAllText(certificate.PemPath).TrimEnd(), File.ReadAllText(certificate.PemKeyPath).TrimEnd());
        var pem = Path.Combine(_directory, "mail.pem");
        await File.WriteAllTextAsync(pem, keyFirst ? $"{key}\n{cert}\n" : $"{cert}\n{key}\n");
        var haproxy = Write($"""
            frontend fe
                mode http
                bind :443 ssl crt {pem}
                default_backend be
            backend be
                mode http
                server exch1 10.0.0.11:443 ssl verify none check
            """);
        var (exit, output, error) = await RunAsync("--import-haproxy", haproxy);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var written = json.RootElement.GetProperty("Kestrel").GetProperty("Endpoints").GetProperty("Https").GetProperty("Certificate");
        Assert.Equal(pem, written.GetProperty("Path").GetString());
        Assert.Equal(pem, written.GetProperty("KeyPath").GetString());
    }

    [Fact]
    public async Task An_existing_file_is_never_overwritten()
    {
        var target = Path.Combine(_directory, "appsettings.json");
        await File.WriteAllTextAsync(target, "{ \"the\": \"operator's configuration\" }");
        var (exit, _, error) = await RunAsync("--import-haproxy", Write(TcpOnly), "--out", target);

        Assert.Equal(1, exit);
        Assert.Contains("already exists; ExchangeProxy does not overwrite it", error, StringComparison.Ordinal);
        Assert.Equal("{ \"the\": \"operator's configuration\" }", await File.ReadAllTextAsync(target));
    }

    [Fact]
    public async Task A_missing_haproxy_file_is_said_plainly()
    {
        var (exit, _, error) = await RunAsync("--import-haproxy", Path.Combine(_directory, "nope.cfg"));

        Assert.Equal(1, exit);
        Assert.Contains("nope.cfg: no such file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Out_without_import_is_refused()
    {
        var (exit, _, error) = await RunAsync("--out", Path.Combine(_directory, "x.json"), "--config", "/nonexistent/appsettings.json");

        Assert.Equal(1, exit);
        Assert.Contains("--out goes with --import-haproxy", error, StringComparison.Ordinal);
    }
}
