using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;
using ExchangeProxy.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Health;

/// <summary>Every enabled service and the state of each of its servers: what /health, the admin API and the stats page show.</summary>
public sealed class ServiceReports(ProxyModelStore models, HealthStates states, MaintenanceStates maintenance, IProxyStateLookup proxyState)
{
    public IReadOnlyList<ServiceReport> Build()
    {
        var reports = new List<ServiceReport>();
        var model = models.Current;
        foreach (var service in model.Pools)
        {
            // Layer-4 pools have no YARP cluster, and so no passive health.
            proxyState.TryGetCluster(YarpModel.IdOf(service.Name), out var cluster);
            var servers = service.Servers.Select(server =>
            {
                var status = states.Find(service.Name, server.Name);
                var passiveDown = cluster is not null && cluster.Destinations.TryGetValue(server.Name, out var destination)
                    && destination.Health.Passive == DestinationHealth.Unhealthy;
                return new ServerReport(
                    server.Name,
                    status?.State ?? ProbeState.Unknown,
                    maintenance.For(service.Name, server.Name),
                    passiveDown,
                    status?.Check.Type ?? service.Check.Type,
                    status?.Last,
                    status?.Since,
                    status?.Checks ?? 0);
            }).ToList();
            var path = model.Services.FirstOrDefault(s => s.Name == service.Name)?.Path
                ?? model.TcpServices.First(t => t.Name == service.Name).Listen?.ToString() ?? "(pool)";
            reports.Add(new ServiceReport(service.Name, path, servers));
        }

        return reports;
    }
}

public sealed record ServiceReport(string Name, string Path, IReadOnlyList<ServerReport> Servers)
{
    /// <summary>Healthy: every server usable. Degraded: some are not. Unhealthy: none is.</summary>
    public ServiceCondition Condition =>
        Servers.All(s => s.Usable) ? ServiceCondition.Healthy
        : Servers.Any(s => s.Usable) ? ServiceCondition.Degraded
        : ServiceCondition.Unhealthy;
}

/// <param name="PassiveDown">Passive health took the server out after transport failures, for a while.</param>
public sealed record ServerReport(
    string Name,
    ProbeState State,
    AdminState Admin,
    bool PassiveDown,
    CheckType Check,
    ProbeResult? Last,
    DateTimeOffset? Since,
    long Checks)
{
    /// <summary>Takes new clients: not down by probe or passive health, neither draining nor in maintenance.</summary>
    public bool Usable => State != ProbeState.Down && !PassiveDown && Admin == AdminState.Ready;
}

public enum ServiceCondition
{
    Healthy,
    Degraded,
    Unhealthy,
}
