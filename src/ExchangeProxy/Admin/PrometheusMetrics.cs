using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;
using ExchangeProxy.Statistics;
using Prometheus;

namespace ExchangeProxy.Admin;

/// <summary>
/// /metrics on the admin listener, in Prometheus' text format (prometheus-net): <c>exchangeproxy_build_info</c>, the
/// proxy's own session durations (a native histogram, <see cref="ServerStatistics"/>), its meter's counters and
/// gauges and Kestrel's connection meters, exported by Prometheus' conventions (<see cref="MeterExport"/>), in a
/// registry of this host's own, so nothing is counted twice. ASP.NET Core's and HttpClient's per-request
/// histograms are left out: recorded through a meter listener they were, after the log, the largest cost on the
/// request path, and the proxy's own per-service and per-server series answer the same questions (README, Performance).
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";

    private readonly MeterExport _export;

    public PrometheusMetrics(IMeterFactory meters, PrometheusRegistry prometheus)
    {
        Registry = prometheus.Registry;
        _export = new MeterExport(prometheus, instrument =>
            instrument.Meter.Scope == meters && instrument.Meter.Name is ProxyMetrics.MeterName or KestrelMeter);
        var build = BuildVersion.Current;
        prometheus.Factory.CreateGauge("exchangeproxy_build_info", "1, labelled with the version, the commit it was built from and the .NET runtime",
            ["version", "commit", "runtime"]).WithLabels(build.Version, build.Commit, build.Runtime).Set(1);
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _export.Dispose();
}
