using System.Diagnostics.Metrics;
using Prometheus;

namespace ExchangeProxy.Admin;

/// <summary>
/// /metrics on the admin listener, in Prometheus' text format (prometheus-net): this host's .NET meters (the
/// proxy's own counters and gauges, Kestrel's and ASP.NET Core's built-in ones) and HttpClient's, in a
/// registry of this host's own, so nothing is counted twice.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    private readonly IDisposable _adapter;

    public PrometheusMetrics(IMeterFactory meters)
    {
        Registry = Metrics.NewCustomRegistry();
        _adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            Registry = Registry,
            MetricFactory = Metrics.WithCustomRegistry(Registry),
            InstrumentFilterPredicate = instrument =>
                instrument.Meter.Scope == meters || (instrument.Meter.Scope is null && instrument.Meter.Name == "System.Net.Http"),
        });
    }

    public CollectorRegistry Registry { get; }

    public void Dispose() => _adapter.Dispose();
}
