using System.Diagnostics.Metrics;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Health;

/// <summary>
/// Every enabled service and the state of each of its servers: what /health, the admin API, the stats page
/// and the metrics (<c>exchangeproxy.server.up</c>, <c>exchangeproxy.server.admin_state</c>) show.
/// </summary>
public sealed class ServiceReports
{
    private readonly ProxyModelStore _models;
    private readonly HealthStates _states;
    private readonly ServerEligibility _eligibility;
    private readonly Probes _probes;
    private readonly ListenerCertificates _certificates;

    public ServiceReports(ProxyModelStore models, HealthStates states, ServerEligibility eligibility,
        Probes probes, ListenerCertificates certificates, IMeterFactory meters)
    {
        _probes = probes;
        _certificates = certificates;
        _models = models;
        _states = states;
        _eligibility = eligibility;
        var meter = meters.Create(ProxyMetrics.MeterName);
        meter.CreateObservableGauge("server.up",
            () => Build().SelectMany(s => s.Servers.Select(server => new Measurement<int>(
                server.Condition.IsDown ? 0 : 1, new("service", s.Name), new("server", server.Name)))),
            description: "1 while the server is UP (or unprobed) for the service, 0 when probes or passive health took it out");
        meter.CreateObservableGauge("server.admin_state",
            () => Build().SelectMany(s => s.Servers.Select(server => new Measurement<int>(
                (int)server.Admin, new("service", s.Name), new("server", server.Name)))),
            description: "0 ready, 1 drain, 2 maint, as the operator set it");
    }

    public IReadOnlyList<ServiceReport> Build()
    {
        var reports = new List<ServiceReport>();
        var model = _models.Current;
        foreach (var pool in model.Pools)
        {
            var servers = pool.Servers.Select(server =>
            {
                var status = _states.Find(pool.Name, server.Name);
                var address = server.AddressOn(pool.ServerPort);
                return new ServerReport(
                    server.Name,
                    _eligibility.Of(pool, server),
                    status?.Check.Type ?? pool.Check.Type,
                    status?.Last,
                    status?.Since,
                    status?.Checks ?? 0,
                    // Layer 7 only: a passthrough pool leaves TLS, and the channel binding, to the server.
                    pool.IsHttp ? _certificates.MismatchOf(address, _probes.CertificateOf(address)?.Thumbprint) : null);
            }).ToList();
            var path = pool switch
            {
                ExchangeService service => service.Path,
                TcpService tcp => tcp.Listen?.ToString() ?? "(pool)",
                _ => pool.Name,
            };
            reports.Add(new ServiceReport(pool.Name, path, servers));
        }

        return reports;
    }
}
