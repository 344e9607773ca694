using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Protection;

/// <summary>Requests refused at the edge, per rule: for the stats page and the metrics.</summary>
public sealed class EdgeRefusals
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.OrdinalIgnoreCase);

    public EdgeRefusals(IMeterFactory meters) =>
        meters.Create(ProxyMetrics.MeterName).CreateObservableCounter("protection.blocked",
            () => _counts.Select(b => new Measurement<long>(b.Value, new KeyValuePair<string, object?>("rule", b.Key))),
            unit: "{request}", description: "Requests refused at the edge, per rule");

    public IReadOnlyDictionary<string, long> Counts => _counts;

    public void Count(string rule) => _counts.AddOrUpdate(rule, 1, static (_, count) => count + 1);

    /// <summary>Counts the refusal and answers it; the connection closes after the answer, so nothing behind the request is read.</summary>
    public Task RefuseAsync(HttpContext context, string rule, int status, string body)
    {
        Count(rule);
        context.Response.StatusCode = status;
        context.Response.Headers.Connection = "close";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(body);
    }
}
