namespace ExchangeProxy.Statistics;

/// <summary>
/// Events per second over the last ten seconds, from ten one-second buckets: a mark is two interlocked
/// operations, and nothing is allocated.
/// </summary>
public sealed class RateMeter(TimeProvider time)
{
    private const int Buckets = 10;
    private readonly long[] _counts = new long[Buckets];
    private readonly long[] _seconds = new long[Buckets];

    public void Mark()
    {
        var second = Second();
        var slot = (int)(second % Buckets);
        if (Interlocked.Exchange(ref _seconds[slot], second) != second)
        {
            // A new second in this bucket: what it held is ten seconds old.
            Interlocked.Exchange(ref _counts[slot], 0);
        }

        Interlocked.Increment(ref _counts[slot]);
    }

    public double PerSecond()
    {
        var now = Second();
        long total = 0;
        for (var i = 0; i < Buckets; i++)
        {
            var age = now - Volatile.Read(ref _seconds[i]);
            if (age is >= 0 and < Buckets)
            {
                total += Volatile.Read(ref _counts[i]);
            }
        }

        return total / (double)Buckets;
    }

    private long Second() => time.GetTimestamp() / time.TimestampFrequency;
}
