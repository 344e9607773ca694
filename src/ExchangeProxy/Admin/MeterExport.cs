using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Numerics;
using ExchangeProxy.Statistics;
using Prometheus;

namespace ExchangeProxy.Admin;

/// <summary>
/// Exports the instruments of .NET meters as native Prometheus metrics named by Prometheus' conventions, where
/// prometheus-net's own MeterAdapter made every counter a gauge and left units out of names: a counter is a
/// counter ending in <c>_total</c>, a unit of seconds or bytes ends the name (<c>_seconds</c>, <c>_bytes</c>), an
/// up-down counter or a gauge is a gauge, a histogram a histogram. The name is the meter's and the instrument's,
/// lower case, dots as underscores (<c>ExchangeProxy</c> + <c>server.sessions</c> = <c>exchangeproxy_server_sessions_total</c>).
/// Observable instruments are read at each scrape, and a series one no longer reports (a server removed by a
/// reload, a pinned count back to none) leaves the output.
/// </summary>
public sealed class MeterExport : IDisposable
{
    private static readonly ConcurrentDictionary<string, string> LabelNames = new(StringComparer.Ordinal);

    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly ConcurrentDictionary<Instrument, Exported> _exported = new();
    // The series of observable instruments, and whether this scrape reported them; only touched while scraping.
    private readonly Dictionary<ChildBase, bool> _observed = [];
    private readonly Lock _scrape = new();
    private bool _disposed;

    public MeterExport(PrometheusRegistry prometheus, Func<Instrument, bool> include)
    {
        _factory = prometheus.Factory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (include(instrument))
            {
                _exported[instrument] = Exported.Of(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.MeasurementsCompleted = (instrument, state) => _exported.TryRemove(instrument, out var _);
        _listener.SetMeasurementEventCallback<byte>(Record);
        _listener.SetMeasurementEventCallback<short>(Record);
        _listener.SetMeasurementEventCallback<int>(Record);
        _listener.SetMeasurementEventCallback<long>(Record);
        _listener.SetMeasurementEventCallback<float>(Record);
        _listener.SetMeasurementEventCallback<double>(Record);
        _listener.SetMeasurementEventCallback<decimal>(Record);
        _listener.Start();
        prometheus.Registry.AddBeforeCollectCallback(Scrape);
    }

    public void Dispose()
    {
        lock (_scrape)
        {
            _disposed = true;
            _listener.Dispose();
        }
    }

    private void Scrape()
    {
        lock (_scrape)
        {
            if (_disposed)
            {
                return;
            }

            foreach (var series in _observed.Keys.ToList())
            {
                _observed[series] = false;
            }

            _listener.RecordObservableInstruments();
            foreach (var (series, seen) in _observed.ToList())
            {
                if (!seen)
                {
                    series.Remove();
                    _observed.Remove(series);
                }
            }
        }
    }

    private void Record<T>(Instrument instrument, T measurement, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        where T : struct, INumberBase<T>
    {
        if (!_exported.TryGetValue(instrument, out var exported))
        {
            return;
        }

        var value = double.CreateTruncating(measurement);
        var (names, values) = Labels(tags);
        switch (instrument)
        {
            case ObservableCounter<T>:
                // A measurement is the total so far; one lower than the series' means the source started again
                // (a stick table rebuilt by a reload): a new series, which Prometheus reads as a counter reset.
                var total = _factory.CreateCounter(exported.Name, exported.Help, names).WithLabels(values);
                if (value < total.Value)
                {
                    _observed.Remove(total);
                    total.Remove();
                    total = _factory.CreateCounter(exported.Name, exported.Help, names).WithLabels(values);
                }

                total.IncTo(value);
                _observed[total] = true;
                break;
            case Counter<T>:
                _factory.CreateCounter(exported.Name, exported.Help, names).WithLabels(values).Inc(value);
                break;
            case ObservableGauge<T> or ObservableUpDownCounter<T>:
                var current = _factory.CreateGauge(exported.Name, exported.Help, names).WithLabels(values);
                current.Set(value);
                _observed[current] = true;
                break;
            case Gauge<T>:
                _factory.CreateGauge(exported.Name, exported.Help, names).WithLabels(values).Set(value);
                break;
            case UpDownCounter<T>:
                var gauge = _factory.CreateGauge(exported.Name, exported.Help, names).WithLabels(values);
                if (value >= 0)
                {
                    gauge.Inc(value);
                }
                else
                {
                    gauge.Dec(-value);
                }

                break;
            case Histogram<T>:
                _factory.CreateHistogram(exported.Name, exported.Help, names, exported.Histogram).WithLabels(values).Observe(value);
                break;
        }
    }

    /// <summary>Label names in a fixed order (prometheus-net's labels are positional, a meter's tags are not).</summary>
    private static (string[] Names, string[] Values) Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = LabelNames.GetOrAdd(tags[i].Key, Sanitize);
            values[i] = Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "";
        }

        Array.Sort(names, values, StringComparer.Ordinal);
        return (names, values);
    }

    private static string Sanitize(string name) =>
        string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                var c = char.ToLowerInvariant(source[i]);
                span[i] = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '_';
            }
        });

    private sealed record Exported(string Name, string Help, HistogramConfiguration? Histogram)
    {
        public static Exported Of(Instrument instrument)
        {
            var name = Sanitize($"{instrument.Meter.Name}_{instrument.Name}");
            name += instrument.Unit switch
            {
                "s" when !name.EndsWith("_seconds", StringComparison.Ordinal) => "_seconds",
                "By" when !name.EndsWith("_bytes", StringComparison.Ordinal) => "_bytes",
                _ => "",
            };
            var counter = instrument.GetType() is { IsGenericType: true } type
                && (type.GetGenericTypeDefinition() == typeof(Counter<>) || type.GetGenericTypeDefinition() == typeof(ObservableCounter<>));
            if (counter && !name.EndsWith("_total", StringComparison.Ordinal))
            {
                name += "_total";
            }

            var buckets = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries is { } advised
                ? [.. advised]
                : instrument.Unit == "s" ? ServerStatistics.DurationBuckets : null;
            return new Exported(name, string.IsNullOrEmpty(instrument.Description) ? name : instrument.Description,
                new HistogramConfiguration { Buckets = buckets });
        }
    }
}
