using System.Diagnostics.Metrics;
using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using ExchangeProxy.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Health;

/// <summary>
/// Every enabled service and the state of each of its servers: what /health, the admin API, the stats page
/// and the metrics (<c>exchangeproxy.server.up</c>, <c>exchangeproxy.server.admin_state</c>) show.
/// </summary>
public sealed class ServiceReports
{
    private readonly ProxyModelStore _models;
    private readonly HealthStates _states;
    private readonly MaintenanceStates _maintenance;
    private readonly IProxyStateLookup _proxyState;
    private readonly Probes _probes;
    private readonly ListenerCertificates _certificates;

    public ServiceReports(ProxyModelStore models, HealthStates states, MaintenanceStates maintenance, IProxyStateLookup proxyState,
        Probes probes, ListenerCertificates certificates, IMeterFactory meters)
    {
        _probes = probes;
        _certificates = certificates;
        _models = models;
        _states = states;
        _maintenance = maintenance;
        _proxyState = proxyState;
        var meter = meters.Create(ProxyMetrics.MeterName);
        meter.CreateObservableGauge("server.up",
            () => Build().SelectMany(s => s.Servers.Select(server => new Measurement<int>(
                server.State == ProbeState.Down || server.PassiveDown ? 0 : 1, new("service", s.Name), new("server", server.Name)))),
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
        foreach (var service in model.Pools)
        {
            // Layer-4 pools have no YARP cluster, and so no passive health.
            _proxyState.TryGetCluster(YarpModel.IdOf(service.Name), out var cluster);
            var isHttp = model.Services.Any(s => s.Name == service.Name);
            var servers = service.Servers.Select(server =>
            {
                var status = _states.Find(service.Name, server.Name);
                var passiveDown = cluster is not null && cluster.Destinations.TryGetValue(server.Name, out var destination)
                    && destination.Health.Passive == DestinationHealth.Unhealthy;
                return new ServerReport(
                    server.Name,
                    status?.State ?? ProbeState.Unknown,
                    _maintenance.For(service.Name, server.Name),
                    passiveDown,
                    status?.Check.Type ?? service.Check.Type,
                    status?.Last,
                    status?.Since,
                    status?.Checks ?? 0,
                    // Layer 7 only: a passthrough pool leaves TLS, and the channel binding, to the server.
                    isHttp ? _certificates.MismatchOf(server.Address, _probes.CertificateOf(server.Address)) : null);
            }).ToList();
            var path = model.Services.FirstOrDefault(s => s.Name == service.Name)?.Path
                ?? model.TcpServices.First(t => t.Name == service.Name).Listen?.ToString() ?? "(pool)";
            reports.Add(new ServiceReport(service.Name, path, servers));
        }

        return reports;
    }
}
