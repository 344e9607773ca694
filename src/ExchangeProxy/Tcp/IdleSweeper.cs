using System.Collections.Concurrent;

namespace ExchangeProxy.Tcp;

/// <summary>
/// Every layer-4 session, and one timer for all of them: four times a second it ends the sessions whose side
/// has been silent too long when it was that side's turn. No timer per connection, nothing allocated per byte.
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

    /// <summary>Closes the sessions connected to <paramref name="server"/>, in one pool or all; returns how many.</summary>
    public int Kill(string server, string? pool)
    {
        var killed = 0;
        foreach (var session in _sessions.Keys)
        {
            if (string.Equals(session.Server, server, StringComparison.OrdinalIgnoreCase)
                && (pool is null || string.Equals(session.Pool, pool, StringComparison.OrdinalIgnoreCase)))
            {
                session.Kill();
                killed++;
            }
        }

        return killed;
    }

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
