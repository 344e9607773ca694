using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// The health of one server for one pool. Probes, with HAProxy's rise/fall: the first result decides, then an
/// UP server goes DOWN after <see cref="CheckSettings.Fall"/> failed checks in a row, and a DOWN one comes back
/// after <see cref="CheckSettings.Rise"/> good ones. Passive health (HAProxy's <c>observe layer4</c> with
/// <c>on-error mark-down</c>): live traffic that failed to connect takes the server out at once, until a probe
/// passes again; a pool without probes tries it again after one check interval.
/// </summary>
public sealed class ServerStatus(string service, string server, Uri address, CheckSettings check, DateTimeOffset since)
{
    private readonly Lock _lock = new();
    private int _streak;

    public string Service { get; } = service;

    public string Server { get; } = server;

    /// <summary>Where the pool reaches the server (probes and live traffic alike).</summary>
    public Uri Address { get; set; } = address;

    public CheckSettings Check { get; set; } = check;

    public ProbeState State { get; private set; }

    public ProbeResult? Last { get; private set; }

    /// <summary>When <see cref="State"/> last changed (or the status was created).</summary>
    public DateTimeOffset Since { get; private set; } = since;

    public long Checks { get; private set; }

    public bool Probed => Check.Type == CheckType.None || Checks > 0;

    /// <summary>When live traffic last failed to reach the server, while that keeps it out; null when nothing does.</summary>
    public DateTimeOffset? PassiveDownSince { get; private set; }

    public bool IsPassiveDown(DateTimeOffset now) =>
        PassiveDownSince is { } since && (Check.Type != CheckType.None || now - since < Check.Interval);

    /// <summary>Records a result; returns the new state when it changed.</summary>
    internal ProbeState? Record(ProbeResult result)
    {
        lock (_lock)
        {
            Checks++;
            Last = result;
            if (result.Ok)
            {
                PassiveDownSince = null;
            }

            var next = State switch
            {
                ProbeState.Unknown => result.Ok ? ProbeState.Up : ProbeState.Down,
                ProbeState.Up when !result.Ok && ++_streak >= Check.Fall => ProbeState.Down,
                ProbeState.Down when result.Ok && ++_streak >= Check.Rise => ProbeState.Up,
                _ => State,
            };
            if (result.Ok == (State == ProbeState.Up))
            {
                _streak = 0;
            }

            if (next == State)
            {
                return null;
            }

            State = next;
            Since = result.At;
            _streak = 0;
            return next;
        }
    }

    /// <summary>Takes the server out until a probe passes; whether it was in until now.</summary>
    internal bool MarkPassiveDown(DateTimeOffset now)
    {
        lock (_lock)
        {
            var wasIn = !IsPassiveDown(now);
            PassiveDownSince = now;
            return wasIn;
        }
    }
}
