using System.Collections.Concurrent;

namespace ExchangeProxy.Protection;

/// <summary>
/// The verdicts on one connection's request heads, in order: the scanner adds one as each head arrives, before
/// Kestrel parses it; <see cref="StrictRequests"/> takes one per request. Blind once the scanner can no longer
/// follow (a tunnel, or framing Kestrel refuses itself and closes on).
/// </summary>
public sealed class HeadVerdicts
{
    private readonly ConcurrentQueue<HeadVerdict> _verdicts = new();

    public bool IsBlind { get; private set; }

    public void Add(HeadVerdict verdict) => _verdicts.Enqueue(verdict);

    public void Blind() => IsBlind = true;

    public bool TryTake(out HeadVerdict? verdict) => _verdicts.TryDequeue(out verdict);
}
