using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;
using Prometheus;

namespace ExchangeProxy.Statistics;

/// <summary>
/// The counters of every server of every service and layer-4 pool, and of every layer-4 listener, for the stats
/// page and the metrics: one set of instruments for both layers, tagged with the layer (service and pool names
/// never clash: the configuration refuses a listener named as a service). The counters are read at each scrape;
/// the durations are a native histogram, as a histogram cannot be read back from counters.
/// </summary>
public sealed class ServerStatistics
{
    public const string Http = "http";
    public const string Tcp = "tcp";

    /// <summary>
    /// Seconds. Up to a minute for ordinary requests (OWA, EWS, Autodiscover and OAB answer in milliseconds to
    /// seconds; a minute is where a slow mailbox or a stuck server shows); then the long-lived ones at their own
    /// limits: MAPI NotificationWait (5 min), Outlook's idle and EWS streaming (15 min), ActiveSync Ping's
    /// heartbeat (up to 59 min) and layer-4 sessions; Outlook Anywhere channels of hours fall in +Inf.
    /// </summary>
    public static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private readonly ConcurrentDictionary<(string Service, string Server), ServerCounters> _servers = new();
    private readonly ConcurrentDictionary<string, ListenerCounters> _listeners = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;
    private readonly Histogram _durations;

    public ServerStatistics(TimeProvider time, IMeterFactory meters, PrometheusRegistry prometheus)
    {
        _time = time;
        _durations = prometheus.Factory.CreateHistogram("exchangeproxy_server_session_duration_seconds",
            "How long requests (layer 7, until the response's last byte) or connections (layer 4) lasted, per server of each service",
            ["layer", "service", "server"], new HistogramConfiguration { Buckets = DurationBuckets });
        var meter = meters.Create(ProxyMetrics.MeterName);
        meter.CreateObservableCounter("server.sessions", () => Measure(c => Volatile.Read(ref c.Total)), unit: "{session}",
            description: "Requests (layer 7) or connections (layer 4) sent to each server of each service");
        meter.CreateObservableUpDownCounter("server.sessions.active", () => Measure(c => Volatile.Read(ref c.Active)), unit: "{session}",
            description: "Requests (layer 7) or connections (layer 4) in flight to each server");
        meter.CreateObservableCounter("server.bytes",
            () => Measure(c => Volatile.Read(ref c.BytesIn), new("direction", "in")).Concat(Measure(c => Volatile.Read(ref c.BytesOut), new("direction", "out"))),
            unit: "By", description: "Bytes from clients (in) and to clients (out), per server");
        meter.CreateObservableCounter("server.errors",
            () => Measure(c => Volatile.Read(ref c.ConnectErrors), new("kind", "connect"))
                .Concat(Measure(c => Volatile.Read(ref c.ResponseErrors), new("kind", "response")))
                .Concat(Measure(c => Volatile.Read(ref c.ServerErrors), new("kind", "5xx"))),
            unit: "{error}", description: "Failed connects, failed responses and 5xx answers, per server");
        meter.CreateObservableCounter("server.retries", () => Measure(c => Volatile.Read(ref c.Retries)), unit: "{retry}",
            description: "Connection attempts that were retries, per server tried");
        meter.CreateObservableCounter("server.redispatches", () => Measure(c => Volatile.Read(ref c.Redispatches)), unit: "{session}",
            description: "Sessions moved to this server from a failed or unusable one");
        meter.CreateObservableCounter("listener.refused",
            () => _listeners.Select(l => new Measurement<long>(Volatile.Read(ref l.Value.Refused), new KeyValuePair<string, object?>("listener", l.Key))),
            unit: "{connection}", description: "Layer-4 connections refused: MaxConnections reached, client not allowed, or no server");
    }

    public IReadOnlyDictionary<(string Service, string Server), ServerCounters> Servers => _servers;

    public IReadOnlyDictionary<string, ListenerCounters> Listeners => _listeners;

    /// <param name="layer"><see cref="Http"/> or <see cref="Tcp"/>.</param>
    public ServerCounters For(string layer, string service, string server) =>
        _servers.GetOrAdd((service, server), static (key, state) =>
            new ServerCounters(state.layer, state.self._time, state.self._durations.WithLabels(state.layer, key.Service, key.Server)), (layer, self: this));

    public ListenerCounters ForListener(string listener) => _listeners.GetOrAdd(listener, static _ => new ListenerCounters());

    private IEnumerable<Measurement<long>> Measure(Func<ServerCounters, long> read, KeyValuePair<string, object?>? extra = null) =>
        _servers.Select(s => extra is { } tag
            ? new Measurement<long>(read(s.Value), Tag("layer", s.Value.Layer), Tag("service", s.Key.Service), Tag("server", s.Key.Server), tag)
            : new Measurement<long>(read(s.Value), Tag("layer", s.Value.Layer), Tag("service", s.Key.Service), Tag("server", s.Key.Server)));

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);
}
