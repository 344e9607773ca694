using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Tcp;

/// <summary>Layer-4 counters per server of each pool and per listener, for the stats page and the metrics.</summary>
public sealed class TcpStatistics
{
    private readonly ConcurrentDictionary<(string Pool, string Server), ServerCounters> _servers = new();
    private readonly ConcurrentDictionary<string, ListenerCounters> _listeners = new(StringComparer.OrdinalIgnoreCase);

    private readonly TimeProvider _time;

    public TcpStatistics(IMeterFactory meters, TimeProvider time)
    {
        _time = time;
        var meter = meters.Create(ProxyMetrics.MeterName);
        meter.CreateObservableUpDownCounter("tcp.connections.active",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.Active), Tags(s.Key))), unit: "{connection}",
            description: "Layer-4 connections open to each server");
        meter.CreateObservableCounter("tcp.connections",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.Total), Tags(s.Key))), unit: "{connection}",
            description: "Layer-4 connections made to each server");
        meter.CreateObservableCounter("tcp.bytes",
            () => _servers.SelectMany(s => new[]
            {
                new Measurement<long>(Volatile.Read(ref s.Value.BytesIn), [.. Tags(s.Key), new("direction", "in")]),
                new Measurement<long>(Volatile.Read(ref s.Value.BytesOut), [.. Tags(s.Key), new("direction", "out")]),
            }), unit: "By", description: "Layer-4 bytes from clients (in) and to clients (out), per server");
        meter.CreateObservableCounter("tcp.connect_errors",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.ConnectErrors), Tags(s.Key))), unit: "{error}",
            description: "Failed connection attempts to each server");
        meter.CreateObservableCounter("tcp.retries",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.Retries), Tags(s.Key))), unit: "{retry}",
            description: "Connection attempts that were retries, per server tried");
        meter.CreateObservableCounter("tcp.redispatches",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.Redispatches), Tags(s.Key))), unit: "{connection}",
            description: "Connections moved to this server from a failed or unusable one");
        meter.CreateObservableCounter("tcp.refused",
            () => _listeners.Select(l => new Measurement<long>(Volatile.Read(ref l.Value.Refused), new KeyValuePair<string, object?>("listener", l.Key))),
            unit: "{connection}", description: "Connections refused: MaxConnections reached, or no server");
    }

    public ServerCounters For(string pool, string server) =>
        _servers.GetOrAdd((pool, server), static (_, time) => new ServerCounters(time), _time);

    public ListenerCounters ForListener(string listener) => _listeners.GetOrAdd(listener, static _ => new ListenerCounters());

    public IReadOnlyDictionary<(string Pool, string Server), ServerCounters> Servers => _servers;

    public IReadOnlyDictionary<string, ListenerCounters> Listeners => _listeners;

    private static KeyValuePair<string, object?>[] Tags((string Pool, string Server) key) =>
        [new("pool", key.Pool), new("server", key.Server)];
}

#pragma warning disable CA1051 // Visible instance fields: Interlocked needs refs to them.

/// <summary>The layer-4 counters of one server of one pool.</summary>
public sealed class ServerCounters(TimeProvider time) : Admin.ActivityCounters(time)
{
    public long Retries;
    public long Redispatches;
}

public sealed class ListenerCounters
{
    public long Active;
    public long Total;
    public long Refused;
}
#pragma warning restore CA1051
