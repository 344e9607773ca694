using System.Diagnostics.Metrics;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Health;

/// <summary>
/// How long the listener's certificates and the CAS servers' (as their probes last saw them) have left: the
/// metric <c>exchangeproxy.certificate.expiry</c>, the stats page's certificates and /health's Degraded
/// <see cref="WarningPeriod"/> ahead. Exchange and the proxy present the same certificate (Extended
/// Protection), so both are renewed together and both are watched.
/// </summary>
public sealed partial class CertificateExpiries
{
    public const string Listener = "listener";
    public const string Server = "server";

    /// <summary>How far ahead an expiry is reported: time to renew on every CAS server and on the proxy.</summary>
    public static readonly TimeSpan WarningPeriod = TimeSpan.FromDays(30);

    private readonly ListenerCertificates _listener;
    private readonly Probes _probes;
    private readonly ProxyModelStore _models;
    private readonly TimeProvider _time;
    private readonly ILogger<CertificateExpiries> _logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);

    public CertificateExpiries(ListenerCertificates listener, Probes probes, ProxyModelStore models, TimeProvider time,
        IMeterFactory meters, ILogger<CertificateExpiries> logger)
    {
        _listener = listener;
        _probes = probes;
        _models = models;
        _time = time;
        _logger = logger;
        meters.Create(ProxyMetrics.MeterName).CreateObservableGauge("certificate.expiry",
            () => Current().Select(c => new Measurement<long>((long)c.Left.TotalSeconds, new("certificate", c.Kind), new("name", c.Name))),
            unit: "s",
            description: "Seconds until the certificate expires (negative once it has): each listener endpoint's (name: the endpoint), "
                + "and each CAS server's as its probes last saw it (name: the server)");
    }

    /// <summary>The listener's certificates, then each server's (the one that expires first, if its pools see several).</summary>
    public IReadOnlyList<CertificateExpiry> Current()
    {
        var now = _time.GetUtcNow();
        var expiries = _listener.Certificates
            .Select(c => new CertificateExpiry(Listener, c.Endpoint, c.Certificate, c.Certificate.NotAfter - now)).ToList();
        var servers = _models.Current.Pools
            .SelectMany(pool => pool.Servers.Select(server => (server.Name, Seen: _probes.CertificateOf(server.AddressOn(pool.ServerPort)))))
            .Where(s => s.Seen is not null)
            .GroupBy(s => s.Name, s => s.Seen!, StringComparer.OrdinalIgnoreCase)
            .Select(g => (Name: g.Key, Certificate: g.MinBy(c => c.NotAfter)!))
            .Select(s => new CertificateExpiry(Server, s.Name, s.Certificate, s.Certificate.NotAfter - now))
            .OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase);
        expiries.AddRange(servers);
        return expiries;
    }

    /// <summary>Logs each certificate once when it comes within <see cref="WarningPeriod"/>, and once more when it expires.</summary>
    public void WarnOfDue()
    {
        foreach (var expiry in Current().Where(c => c.Due))
        {
            if (_warned.TryAdd($"{expiry.Kind}|{expiry.Name}|{expiry.Certificate.Thumbprint}|{expiry.Expired}", 0))
            {
                LogDue(_logger, expiry.Describe());
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renew the certificate: {Expiry} (README: Renewing the certificate)")]
    private static partial void LogDue(ILogger logger, string expiry);
}
