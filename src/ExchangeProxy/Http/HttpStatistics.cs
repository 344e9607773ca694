using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ExchangeProxy.Admin;
using ExchangeProxy.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace ExchangeProxy.Http;

/// <summary>
/// Layer-7 counters per server of each service: requests in flight (and the most seen), total, rate, bytes,
/// connect and response errors, 5xx answers. The counting step runs last in the YARP pipeline, where the
/// server is chosen, around YARP's forwarder.
/// </summary>
public sealed class HttpStatistics
{
    private readonly ConcurrentDictionary<(string Service, string Server), HttpServerCounters> _servers = new();
    private readonly TimeProvider _time;

    public HttpStatistics(TimeProvider time, IMeterFactory meters)
    {
        _time = time;
        var meter = meters.Create(ProxyMetrics.MeterName);
        meter.CreateObservableCounter("http.requests",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.Total), Tags(s.Key))), unit: "{request}",
            description: "Requests forwarded to each server of each service");
        meter.CreateObservableUpDownCounter("http.requests.active",
            () => _servers.Select(s => new Measurement<long>(Volatile.Read(ref s.Value.Active), Tags(s.Key))), unit: "{request}",
            description: "Requests in flight to each server");
        meter.CreateObservableCounter("http.bytes",
            () => _servers.SelectMany(s => new[]
            {
                new Measurement<long>(Volatile.Read(ref s.Value.BytesIn), [.. Tags(s.Key), new("direction", "in")]),
                new Measurement<long>(Volatile.Read(ref s.Value.BytesOut), [.. Tags(s.Key), new("direction", "out")]),
            }), unit: "By", description: "Request (in) and response (out) body bytes, per server");
        meter.CreateObservableCounter("http.errors",
            () => _servers.SelectMany(s => new[]
            {
                new Measurement<long>(Volatile.Read(ref s.Value.ConnectErrors), [.. Tags(s.Key), new("kind", "connect")]),
                new Measurement<long>(Volatile.Read(ref s.Value.ResponseErrors), [.. Tags(s.Key), new("kind", "response")]),
                new Measurement<long>(Volatile.Read(ref s.Value.ServerErrors), [.. Tags(s.Key), new("kind", "5xx")]),
            }), unit: "{error}", description: "Failed connects, failed responses and 5xx answers, per server");
    }

    public IReadOnlyDictionary<(string Service, string Server), HttpServerCounters> Servers => _servers;

    public HttpServerCounters For(string service, string server) =>
        _servers.GetOrAdd((service, server), static (_, time) => new HttpServerCounters(time), _time);

    private static KeyValuePair<string, object?>[] Tags((string Service, string Server) key) =>
        [new("service", key.Service), new("server", key.Server)];

    /// <summary>The counting step: last in the pipeline, so the server is chosen and the forwarder runs inside it.</summary>
    public sealed class Counting(RequestDelegate next, HttpStatistics statistics)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            var proxy = context.GetReverseProxyFeature();
            if (proxy.AvailableDestinations is not [var destination] || YarpModel.ServiceOf(proxy.Cluster.Config) is not { } service)
            {
                await next(context);
                return;
            }

            var counters = statistics.For(service, destination.DestinationId);
            counters.Start();
            try
            {
                await next(context);
            }
            finally
            {
                counters.Finish(context);
            }
        }
    }
}

/// <summary>The layer-7 counters of one server of one service.</summary>
#pragma warning disable CA1051 // Visible instance fields: Interlocked needs refs to them.
public sealed class HttpServerCounters(TimeProvider time) : ActivityCounters(time)
{
    public long ResponseErrors;
    public long ServerErrors;

    internal void Finish(HttpContext context)
    {
        Interlocked.Decrement(ref Active);
        if (context.Features.Get<TransferCounts>() is { } counts)
        {
            Interlocked.Add(ref BytesIn, counts.RequestBytes);
            Interlocked.Add(ref BytesOut, counts.ResponseBytes);
        }

        switch (context.Features.Get<IForwarderErrorFeature>()?.Error)
        {
            case ForwarderError.Request or ForwarderError.RequestCreation:
                Interlocked.Increment(ref ConnectErrors);
                break;
            case ForwarderError.RequestTimedOut or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination
                or ForwarderError.UpgradeResponseDestination:
                Interlocked.Increment(ref ResponseErrors);
                break;
        }

        if (context.Response.StatusCode >= 500)
        {
            Interlocked.Increment(ref ServerErrors);
        }
    }
}
#pragma warning restore CA1051
