using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;
using Prometheus;

namespace ExchangeProxy.Admin;

/// <summary>
/// /metrics on the admin listener, in Prometheus' text format (prometheus-net): the proxy's own counters and
/// gauges and Kestrel's connection meters, in a registry of this host's own, so nothing is counted twice.
/// ASP.NET Core's and HttpClient's per-request histograms are left out: recorded through prometheus-net's
/// adapter they were, after the log, the largest cost on the request path, and the proxy's own per-service
/// and per-server counters answer the same questions (README, Performance).
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private const string KestrelMeter = "Microsoft.AspNetCore.Server.Kestrel";

    private readonly IDisposable _adapter;

    public PrometheusMetrics(IMeterFactory meters)
    {
        Registry = Metrics.NewCustomRegistry();
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = Metrics.WithCustomRegistry(Registry),
            InstrumentFilterPredicate = instrument =>
                instrument.Meter.Scope == meters && instrument.Meter.Name is ProxyMetrics.MeterName or KestrelMeter,
        });
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _adapter.Dispose();
}
