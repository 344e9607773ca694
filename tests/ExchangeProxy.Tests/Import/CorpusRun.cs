using System.Net;
using ExchangeProxy.Hosting;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Import;

/// <summary>
/// A corpus file with its certificate paths, addresses and ports replaced by the test's own files and loopback fakes,
/// converted by <c>--import-haproxy</c> exactly as an operator runs it, then started from the file it wrote.
/// </summary>
public sealed class CorpusRun : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("exproxy-corpus-").FullName;

    public CorpusRun()
    {
        Certificate = new TestCertificate();
        CertificateDirectory = Path.Combine(_directory, "certs");
        Directory.CreateDirectory(CertificateDirectory);
        // HAProxy's usual PEM: the certificate and its key in one file.
        CombinedPem = Path.Combine(CertificateDirectory, "mail.contoso.com.pem");
        File.WriteAllText(CombinedPem, File.ReadAllText(Certificate.PemPath).TrimEnd() + "\n" + File.ReadAllText(Certificate.PemKeyPath).TrimEnd() + "\n");
        Substitutions["/etc/haproxy/certs/mail.contoso.com.pem"] = CombinedPem;
        Substitutions["/etc/haproxy/certs/"] = CertificateDirectory + "/";
    }

    public static IReadOnlyList<string> Files { get; } =
        [.. Directory.GetFiles(Repository.PathOf(CorpusFolder), "*.cfg").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    public const string CorpusFolder = "tests/ExchangeProxy.Tests/Import/Corpus";

    public TestCertificate Certificate { get; }

    public string CertificateDirectory { get; }

    public string CombinedPem { get; }

    /// <summary>Text of the corpus file to the text the test runs it with; longer keys are replaced first.</summary>
    public Dictionary<string, string> Substitutions { get; } = new(StringComparer.Ordinal);

    /// <summary>What <c>--import-haproxy --out</c> printed: the report.</summary>
    public string Report { get; private set; } = "";

    /// <summary>The configuration it wrote.</summary>
    public string Json { get; private set; } = "";

    public RunningProxy? Proxy { get; private set; }

    /// <summary>A loopback port free on 127.0.0.1 and on ::1, so two fake servers can share it, one on each.</summary>
    public static int DualPort() => FakeTcpServer.FreePortOn(IPAddress.Loopback, IPAddress.IPv6Loopback);

    public static int Port() => FakeTcpServer.FreePortOn(IPAddress.Loopback);

    public string Substituted(string file)
    {
        var text = File.ReadAllText(Repository.PathOf(Path.Combine(CorpusFolder, file)));
        foreach (var (from, to) in Substitutions.OrderByDescending(s => s.Key.Length))
        {
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return text;
    }

    /// <param name="args">Over the converted file, as switches (a free admin port where the file has no stats page).</param>
    public async Task<RunningProxy> ConvertAndStartAsync(string file, params string[] args)
    {
        var haproxy = Path.Combine(_directory, file);
        await File.WriteAllTextAsync(haproxy, Substituted(file));
        // The proxy's own directory: RunningProxy removes it, with the state file beside the configuration.
        var json = Path.Combine(Directory.CreateTempSubdirectory("exproxy-imported-").FullName, "appsettings.json");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ProxyProgram.RunAsync(["--import-haproxy", haproxy, "--out", json], TextReader.Null, output, error);
        Assert.True(exit == 0, $"--import-haproxy exited {exit}:\n{output}\n{error}");
        Report = output.ToString();
        Json = await File.ReadAllTextAsync(json);
        Proxy = await RunningProxy.StartAsync(json, Certificate, args);
        return Proxy;
    }

    /// <summary>
    /// A client that trusts the CAS fakes' own certificates (NAME.contoso.test, passed through at layer 4), connecting to
    /// <paramref name="endpoint"/> whatever the URL's host, so the URL's host is the TLS server name.
    /// </summary>
    public static HttpClient ClientTo(IPEndPoint endpoint) => new(new SocketsHttpHandler
    {
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate?.Subject.EndsWith(".contoso.test", StringComparison.Ordinal) == true
        },
        ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endpoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        Certificate.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
