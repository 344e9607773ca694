using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Reads one of the proxy's observable instruments the way a metrics exporter does, by its tags.</summary>
public sealed class MetricReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(long Value, Dictionary<string, string> Tags)> _measurements = [];

    public MetricReader(RunningProxy proxy, string instrumentName)
    {
        var meters = proxy.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ProxyMetrics.MeterName && instrument.Meter.Scope == meters && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => Record(value, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(value, tags));
        _listener.Start();
    }

    /// <summary>The sum of the measurements whose tags include all of <paramref name="tags"/> ("key=value").</summary>
    public long Read(params string[] tags)
    {
        _measurements.Clear();
        _listener.RecordObservableInstruments();
        return _measurements
            .Where(m => tags.All(t => t.Split('=', 2) is [var key, var value] && m.Tags.GetValueOrDefault(key) == value))
            .Sum(m => m.Value);
    }

    private void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value?.ToString() ?? "";
        }

        _measurements.Add((value, copy));
    }

    public void Dispose() => _listener.Dispose();
}
