using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Statistics;

/// <summary>
/// The counters of every server of every service and layer-4 pool, and of every layer-4 listener, for the stats
/// page and the metrics: one set of instruments for both layers, tagged with the layer (service and pool names
/// never clash: the configuration refuses a listener named as a service).
/// </summary>
public sealed class ServerStatistics
{
    public const string Http = "http";
    public const string Tcp = "tcp";

    private readonly ConcurrentDictionary<(string Service, string Server), ServerCounters> _servers = new();
    private readonly ConcurrentDictionary<string, ListenerCounters> _listeners = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    public ServerStatistics(TimeProvider time, IMeterFactory meters)
    {
        _time = time;
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
        _servers.GetOrAdd((service, server), static (_, state) => new ServerCounters(state.layer, state.time), (layer, time: _time));

    public ListenerCounters ForListener(string listener) => _listeners.GetOrAdd(listener, static _ => new ListenerCounters());

    private IEnumerable<Measurement<long>> Measure(Func<ServerCounters, long> read, KeyValuePair<string, object?>? extra = null) =>
        _servers.Select(s => extra is { } tag
            ? new Measurement<long>(read(s.Value), Tag("layer", s.Value.Layer), Tag("service", s.Key.Service), Tag("server", s.Key.Server), tag)
            : new Measurement<long>(read(s.Value), Tag("layer", s.Value.Layer), Tag("service", s.Key.Service), Tag("server", s.Key.Server)));

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);
}
