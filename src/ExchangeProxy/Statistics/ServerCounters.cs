namespace ExchangeProxy.Statistics;

/// <summary>
/// What both layers count per server of a service or pool: sessions (requests at layer 7, connections at layer
/// 4) in flight, the most seen, total and rate, bytes each way, failed connects, failed responses and 5xx
/// answers, retries and redispatches. Fields, so the hot path updates them with Interlocked and no indirection.
/// </summary>
/// <param name="Layer">"http" or "tcp", as the metrics tag it.</param>
#pragma warning disable CA1051 // Visible instance fields: Interlocked needs refs to them.
public sealed class ServerCounters(string layer, TimeProvider time)
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

    /// <summary>A request or connection begins.</summary>
    public void Start()
    {
        var active = Interlocked.Increment(ref Active);
        long max;
        while (active > (max = Volatile.Read(ref MaxActive)) && Interlocked.CompareExchange(ref MaxActive, active, max) != max)
        {
        }

        Interlocked.Increment(ref Total);
        Rate.Mark();
    }

    /// <summary>A request or connection ends; the bytes it carried are added here unless they were counted as they flowed.</summary>
    public void Finish(long bytesIn = 0, long bytesOut = 0)
    {
        Interlocked.Decrement(ref Active);
        Interlocked.Add(ref BytesIn, bytesIn);
        Interlocked.Add(ref BytesOut, bytesOut);
    }
}
#pragma warning restore CA1051
