using Prometheus;

namespace ExchangeProxy.Statistics;

/// <summary>
/// What both layers count per server of a service or pool: sessions (requests at layer 7, connections at layer
/// 4) in flight, the most seen, total and rate, bytes each way, failed connects, failed responses and 5xx
/// answers, retries and redispatches. Fields, so the hot path updates them with Interlocked and no indirection.
/// Durations go to the server's own child of the duration histogram, made once with the counters, so recording
/// one looks up no labels.
/// </summary>
/// <param name="layer">"http" or "tcp", as the metrics tag it.</param>
/// <param name="durations">This server's series of <c>exchangeproxy_server_session_duration_seconds</c>.</param>
#pragma warning disable CA1051 // Visible instance fields: Interlocked needs refs to them.
public sealed class ServerCounters(string layer, TimeProvider time, Histogram.Child durations)
{
    public long Active;
    public long MaxActive;
    public long Total;
    public long BytesIn;
    public long BytesOut;
    public long ConnectErrors;
    public long ResponseErrors;
    public long ServerErrors;
    public long Retries;
    public long Redispatches;

    public string Layer { get; } = layer;

    public RateMeter Rate { get; } = new(time);

    /// <summary>A request or connection begins; the timestamp returned is what <see cref="Took"/> measures from.</summary>
    public long Start()
    {
        var active = Interlocked.Increment(ref Active);
        long max;
        while (active > (max = Volatile.Read(ref MaxActive)) && Interlocked.CompareExchange(ref MaxActive, active, max) != max)
        {
        }

        Interlocked.Increment(ref Total);
        Rate.Mark();
        return time.GetTimestamp();
    }

    /// <summary>A request or connection ends; the bytes it carried are added here unless they were counted as they flowed.</summary>
    public void Finish(long bytesIn = 0, long bytesOut = 0)
    {
        Interlocked.Decrement(ref Active);
        Interlocked.Add(ref BytesIn, bytesIn);
        Interlocked.Add(ref BytesOut, bytesOut);
    }

    /// <summary>A request or connection that began at <paramref name="started"/> (<see cref="Start"/>) is over, on this server.</summary>
    public void Took(long started) => durations.Observe(time.GetElapsedTime(started).TotalSeconds);
}
#pragma warning restore CA1051
