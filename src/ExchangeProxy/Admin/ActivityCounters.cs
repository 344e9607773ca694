namespace ExchangeProxy.Admin;

/// <summary>
/// What both layers count per server: in flight (and the most seen), total, rate, bytes each way, failed
/// connects. Fields, so the hot path updates them with Interlocked and no indirection.
/// </summary>
#pragma warning disable CA1051 // Visible instance fields: Interlocked needs refs to them.
public abstract class ActivityCounters(TimeProvider time)
{
    public long Active;
    public long MaxActive;
    public long Total;
    public long BytesIn;
    public long BytesOut;
    public long ConnectErrors;

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
}
#pragma warning restore CA1051
