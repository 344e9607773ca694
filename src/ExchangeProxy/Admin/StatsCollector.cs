using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Protection;
using ExchangeProxy.Statistics;
using ExchangeProxy.WindowsAuth;

namespace ExchangeProxy.Admin;

/// <summary>Builds <see cref="StatsReport"/> from the one health truth and the counters of both layers.</summary>
public sealed class StatsCollector(
    ProxyModelStore models,
    ServiceReports reports,
    ServerStatistics statistics,
    StickTables tables,
    PinnedConnections pins,
    TimeProvider time,
    ConfigFile configFile,
    EdgeRefusals refusals,
    SharedMaintenance shared,
    AccountGuard accounts,
    CertificateExpiries certificates)
{
    private DateTimeOffset _started = time.GetUtcNow();

    public void MarkStarted() => _started = time.GetUtcNow();

    public StatsReport Build()
    {
        var model = models.Current;
        var now = time.GetUtcNow();
        var sections = new List<StatsSection>();
        foreach (var report in reports.Build())
        {
            var service = model.Services.FirstOrDefault(s => s.Name == report.Name);
            var listener = model.TcpServices.FirstOrDefault(t => t.Name == report.Name);
            var layer = service is not null ? ServerStatistics.Http : ServerStatistics.Tcp;
            var rows = report.Servers.Select(server => Row(layer, report.Name, server, now)).ToList();
            var affinity = (service?.Affinity ?? listener?.Affinity) is { } settings && tables.Find(settings.Name) is { } table
                ? new StatsAffinity(table.Name, table.Count, table.Counters.Hits, table.Counters.Misses, table.Counters.Redispatches)
                : null;
            var front = statistics.Listeners.TryGetValue(report.Name, out var counters)
                ? new StatsListener(Volatile.Read(ref counters.Active), Volatile.Read(ref counters.Total), Volatile.Read(ref counters.Refused))
                : null;
            sections.Add(new StatsSection(report.Name, layer, report.Path, rows, Total(rows), affinity, front));
        }

        return new StatsReport(now, now - _started, configFile.Path, models.LastLoaded, models.LastRejected,
            [.. models.LastErrors.Select(e => e.ToString())], model.Admin.StatsRefresh.TotalSeconds, pins.Count, sections,
            new SortedDictionary<string, long>(refusals.Counts.ToDictionary(), StringComparer.OrdinalIgnoreCase), shared.Instances, accounts.List(),
            [.. certificates.Current().Select(c => new StatsCertificate(c.Kind, c.Name, c.Certificate.Subject, c.Certificate.Thumbprint,
                c.Certificate.NotAfter, c.DaysLeft, c.Due, c.Describe()))]);
    }

    private StatsRow Row(string layer, string service, ServerReport server, DateTimeOffset now)
    {
        var state = server.Condition.Status;
        var weight = server.Condition.Weight;
        var last = server.Last;
        var check = (Type: server.Check == CheckType.None ? null : server.Check.ToString(), Result: last?.Detail,
            Latency: last?.Latency.TotalMilliseconds, Ago: last is null ? (double?)null : (now - last.At).TotalSeconds,
            InState: server.Since is { } since ? (now - since).TotalSeconds : (double?)null);
        var c = statistics.For(layer, service, server.Name);
        return new StatsRow(server.Name, state, weight, check.Type, check.Result, check.Latency, check.Ago, check.InState,
            Volatile.Read(ref c.Active), Volatile.Read(ref c.MaxActive), Volatile.Read(ref c.Total), c.Rate.PerSecond(),
            Volatile.Read(ref c.BytesIn), Volatile.Read(ref c.BytesOut), Volatile.Read(ref c.ConnectErrors),
            Volatile.Read(ref c.ResponseErrors), Volatile.Read(ref c.ServerErrors), Volatile.Read(ref c.Retries),
            Volatile.Read(ref c.Redispatches), server.Warning, last?.Ok);
    }

    private static StatsRow Total(List<StatsRow> rows) => new(
        "TOTAL",
        rows.Any(r => r.State == "UP") ? "UP" : "DOWN",
        rows.Sum(r => r.Weight),
        null, null, null, null, null,
        rows.Sum(r => r.Current), rows.Sum(r => r.Max), rows.Sum(r => r.Total), rows.Sum(r => r.Rate),
        rows.Sum(r => r.BytesIn), rows.Sum(r => r.BytesOut), rows.Sum(r => r.ConnectErrors), rows.Sum(r => r.ResponseErrors),
        rows.Sum(r => r.ServerErrors), rows.Sum(r => r.Retries), rows.Sum(r => r.Redispatches));
}
