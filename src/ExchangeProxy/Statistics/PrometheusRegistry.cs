using Prometheus;

namespace ExchangeProxy.Statistics;

/// <summary>
/// This host's Prometheus registry, served at /metrics: the series the proxy records natively (session durations)
/// and those exported from its meters at each scrape. One per host, so hosts sharing a process (the tests) never
/// share a series.
/// </summary>
public sealed class PrometheusRegistry
{
    public PrometheusRegistry()
    {
        Registry = Metrics.NewCustomRegistry();
        Factory = Metrics.WithCustomRegistry(Registry);
        // An exemplar is the trace of the request that made an observation: reading Activity.Current on every
        // request for a trace id nobody collects is cost without use.
        Factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
    }

    public CollectorRegistry Registry { get; }

    public IMetricFactory Factory { get; }
}
