using System.Collections.Concurrent;

namespace ExchangeProxy.Tcp;

/// <summary>
/// One timer for every layer-4 connection: four times a second it ends the sessions whose side has been
/// silent too long when it was that side's turn. No timer per connection, nothing allocated per byte.
/// </summary>
public sealed class IdleSweeper : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<TcpSession, byte> _sessions = new();
    private readonly ITimer _timer;

    public IdleSweeper(TimeProvider time)
    {
        Time = time;
        _timer = time.CreateTimer(_ => Sweep(), null, Period, Period);
    }

    public TimeProvider Time { get; }

    public void Add(TcpSession session) => _sessions.TryAdd(session, 0);

    public void Remove(TcpSession session) => _sessions.TryRemove(session, out _);

    private void Sweep()
    {
        var now = Time.GetTimestamp();
        foreach (var session in _sessions.Keys)
        {
            session.CheckIdle(now);
        }
    }

    public void Dispose() => _timer.Dispose();
}
