using System.Diagnostics.Metrics;
using System.Text;
using ExchangeProxy.Admin;
using ExchangeProxy.Statistics;

namespace ExchangeProxy.Tests.Admin;

/// <summary>What /metrics makes of a meter's instruments: names by kind and unit, and series that follow their source.</summary>
public sealed class MeterExportTests
{
    private static async Task<string> CollectAsync(PrometheusRegistry prometheus)
    {
        using var stream = new MemoryStream();
        await prometheus.Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    [Fact]
    public async Task Each_kind_of_instrument_is_named_by_the_conventions_and_observed_series_follow_their_source()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var meter = meters.Create("Test.Exporter");
        var handled = new Dictionary<string, long> { ["a"] = 5 };
        var queued = new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 };
        meter.CreateObservableCounter("requests.handled", () => handled.Select(h => new Measurement<long>(h.Value, Tag("pool", h.Key))));
        meter.CreateObservableUpDownCounter("queue.length", () => queued.Select(q => new Measurement<int>(q.Value, Tag("pool", q.Key))));
        var sent = meter.CreateCounter<long>("payload.sent", unit: "By");
        var open = meter.CreateUpDownCounter<int>("connections.open");
        var took = meter.CreateHistogram<double>("request.duration", unit: "s");
        var prometheus = new PrometheusRegistry();
        using var export = new MeterExport(prometheus, instrument => instrument.Meter.Scope == meters);

        sent.Add(100, Tag("pool", "a"));
        open.Add(3);
        open.Add(-1);
        took.Record(0.2, Tag("pool", "a"), Tag("Server.Name", "exchange1"));
        var first = await CollectAsync(prometheus);

        Assert.Contains("# TYPE test_exporter_requests_handled_total counter\ntest_exporter_requests_handled_total{pool=\"a\"} 5\n", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_exporter_payload_sent_bytes_total counter\ntest_exporter_payload_sent_bytes_total{pool=\"a\"} 100\n", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_exporter_connections_open gauge\ntest_exporter_connections_open 2\n", first, StringComparison.Ordinal);
        Assert.Contains("test_exporter_queue_length{pool=\"b\"} 2\n", first, StringComparison.Ordinal);
        Assert.Contains("# TYPE test_exporter_request_duration_seconds histogram", first, StringComparison.Ordinal);
        Assert.Contains("test_exporter_request_duration_seconds_bucket{pool=\"a\",server_name=\"exchange1\",le=\"0.1\"} 0\n", first, StringComparison.Ordinal);
        Assert.Contains("test_exporter_request_duration_seconds_bucket{pool=\"a\",server_name=\"exchange1\",le=\"0.25\"} 1\n", first, StringComparison.Ordinal);

        // The source starts again (a stick table rebuilt by a reload), and a series stops being reported.
        handled["a"] = 2;
        queued.Remove("b");
        var second = await CollectAsync(prometheus);

        Assert.Contains("test_exporter_requests_handled_total{pool=\"a\"} 2\n", second, StringComparison.Ordinal);
        Assert.Contains("test_exporter_queue_length{pool=\"a\"} 1\n", second, StringComparison.Ordinal);
        Assert.DoesNotContain("pool=\"b\"", second, StringComparison.Ordinal);
    }
}
