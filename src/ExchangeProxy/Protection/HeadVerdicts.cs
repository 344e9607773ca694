namespace ExchangeProxy.Protection;

/// <summary>
/// The verdicts on one connection's request heads, in order: the scanner adds one as each head arrives, before
/// Kestrel parses it; <see cref="StrictRequests"/> takes one per request. Blind once the scanner can no longer
/// follow (a tunnel, or framing Kestrel refuses itself and closes on). Most connections hold one verdict at a
/// time, so a plain queue under a lock (its array made on first use), not a ConcurrentQueue's 32-slot segment
/// on every idle connection.
/// </summary>
public sealed class HeadVerdicts
{
    private readonly Lock _lock = new();
    private readonly Queue<HeadVerdict> _verdicts = new();

    private volatile bool _blind;

    public bool IsBlind => _blind;

    public void Add(HeadVerdict verdict)
    {
        lock (_lock)
        {
            _verdicts.Enqueue(verdict);
        }
    }

    public void Blind() => _blind = true;

    public bool TryTake(out HeadVerdict? verdict)
    {
        lock (_lock)
        {
            return _verdicts.TryDequeue(out verdict);
        }
    }
}
