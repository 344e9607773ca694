using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using Microsoft.Extensions.Primitives;

namespace ExchangeProxy.Health;

/// <summary>
/// The certificates the layer-7 listeners present, for the Extended Protection check (Exchange compares the
/// channel binding of the certificate the client saw with its own, so the proxy must present the certificate
/// Exchange uses) and for the namespace probes ask for. Read from <c>Kestrel:Endpoints:*:Certificate</c> of
/// the accepted configuration, and read again when it changes or a certificate file does (a renewal), as
/// Kestrel itself reloads the listener's certificate: its files are polled as Kestrel polls them, so a file
/// replaced behind a symbolic link (a Kubernetes Secret) or on a bind mount is seen too. A file that cannot be
/// read (half-written) leaves the endpoint's last certificate in place, as Kestrel leaves its listener.
/// </summary>
public sealed partial class ListenerCertificates : IDisposable
{
    /// <summary>The endpoint name of certificates given in code (the demo's).</summary>
    private const string InCode = "code";

    private readonly IConfiguration? _configuration;
    private readonly IReadOnlyCollection<X509Certificate2> _inCode;
    private readonly ILogger<ListenerCertificates> _logger;
    private readonly Lock _lock = new();
    private readonly List<PhysicalFileProvider> _watchers = [];
    private volatile Snapshot _current = new([], new HashSet<string>(), null);
    private IDisposable? _following;

    /// <param name="configuration">Null: only <paramref name="inCode"/> (the demo's), never read again.</param>
    public ListenerCertificates(IConfiguration? configuration, IEnumerable<X509Certificate2> inCode, ILogger<ListenerCertificates> logger)
    {
        _configuration = configuration;
        _inCode = [.. inCode];
        _logger = logger;
        Read();
    }

    public IReadOnlySet<string> Thumbprints => _current.Thumbprints;

    /// <summary>Each endpoint's certificate as last read.</summary>
    public IReadOnlyList<ListenerCertificate> Certificates => _current.Certificates;

    /// <summary>The first DNS name (not a wildcard) a listener's certificate is for: the namespace clients use.</summary>
    public string? DnsName => _current.DnsName;

    /// <summary>Why a server breaks Extended Protection, or null when it does not (or it cannot be told yet).</summary>
    public string? MismatchOf(Uri server, string? serverThumbprint)
    {
        var thumbprints = Thumbprints;
        return server.Scheme == Uri.UriSchemeHttp ? "plain HTTP to the server: Extended Protection (Windows auth) cannot work"
            : serverThumbprint is null || thumbprints.Count == 0 || thumbprints.Contains(serverThumbprint) ? null
            : $"the server presents certificate {serverThumbprint}, the listener {string.Join(" / ", thumbprints)}: Extended Protection needs the same one";
    }

    private void Read()
    {
        lock (_lock)
        {
            var previous = _current;
            var certificates = _inCode.Select(c => new ListenerCertificate(InCode, null, ObservedCertificate.Of(c), DnsNameOf(c))).ToList();
            var paths = new List<string>();
            foreach (var endpoint in _configuration?.GetSection("Kestrel:Endpoints").GetChildren() ?? [])
            {
                var certificate = endpoint.GetSection("Certificate");
                if (certificate["Path"] is not { Length: > 0 } path)
                {
                    continue;
                }

                var fullPath = Path.GetFullPath(path);
                paths.Add(fullPath);
                try
                {
                    using var loaded = certificate["KeyPath"] is null
                        ? X509CertificateLoader.LoadPkcs12FromFile(path, certificate["Password"])
                        : X509CertificateLoader.LoadCertificateFromFile(path);
                    certificates.Add(new ListenerCertificate(endpoint.Key, fullPath, ObservedCertificate.Of(loaded), DnsNameOf(loaded)));
                }
                catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
                {
                    // ConfigCheck refuses such a file at start and on reload; a renewal caught half-written is read again when it is complete.
                    LogUnreadableCertificate(_logger, path, e.Message);
                    certificates.AddRange(previous.Certificates.Where(c => c.Endpoint == endpoint.Key && c.Path == fullPath));
                }
            }

            var thumbprints = new HashSet<string>(certificates.Select(c => c.Certificate.Thumbprint), StringComparer.OrdinalIgnoreCase);
            _current = new Snapshot(certificates, thumbprints, certificates.Select(c => c.DnsName).FirstOrDefault(n => n is not null));
            if (previous.Thumbprints.Count > 0 && !previous.Thumbprints.SetEquals(thumbprints))
            {
                LogCertificateChanged(_logger, thumbprints);
            }

            Watch(paths);
        }
    }

    /// <summary>One change token for the configuration and every certificate file; it is made anew after each read.</summary>
    private void Watch(List<string> paths)
    {
        if (_configuration is null)
        {
            return;
        }

        _following?.Dispose();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
        var tokens = new List<IChangeToken> { _configuration.GetReloadToken() };
        foreach (var directory in paths.GroupBy(p => Path.GetDirectoryName(p)!))
        {
            if (!Directory.Exists(directory.Key))
            {
                continue;
            }

            // Polled as Kestrel polls (every 4 s): a watcher of the directory misses a target swapped behind a symbolic link.
            var watcher = new PhysicalFileProvider(directory.Key, ExclusionFilters.None) { UsePollingFileWatcher = true, UseActivePolling = true };
            _watchers.Add(watcher);
            tokens.AddRange(directory.Select(p => watcher.Watch(Path.GetFileName(p))));
        }

        var changed = new CompositeChangeToken(tokens);
        _following = changed.RegisterChangeCallback(static state => ((ListenerCertificates)state!).Read(), this);
    }

    private static string? DnsNameOf(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())
            .Append(certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false))
            .FirstOrDefault(name => !string.IsNullOrEmpty(name) && !name.Contains('*', StringComparison.Ordinal));

    public void Dispose()
    {
        lock (_lock)
        {
            _following?.Dispose();
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener certificate {Path} could not be read ({Reason}); the listener keeps its previous certificate until the file is complete and valid")]
    private static partial void LogUnreadableCertificate(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener certificate changed: {Thumbprints}; CAS servers are compared with it from the next probe")]
    private static partial void LogCertificateChanged(ILogger logger, IEnumerable<string> thumbprints);

    private sealed record Snapshot(IReadOnlyList<ListenerCertificate> Certificates, IReadOnlySet<string> Thumbprints, string? DnsName);
}
