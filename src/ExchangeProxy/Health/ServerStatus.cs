using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// The health of one server for one pool. Probes, with HAProxy's rise/fall: the first result decides, then an
/// UP server goes DOWN after <see cref="CheckSettings.Fall"/> failed checks in a row, and a DOWN one comes back
/// after <see cref="CheckSettings.Rise"/> good ones. Passive health: live traffic that failed to reach the
/// server takes it out until <see cref="PassiveDownUntil"/>.
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

    /// <summary>Until when live traffic's failures keep the server out; null when they do not.</summary>
    public DateTimeOffset? PassiveDownUntil { get; private set; }

    public bool IsPassiveDown(DateTimeOffset now) => PassiveDownUntil is { } until && until > now;

    /// <summary>Records a result; returns the new state when it changed.</summary>
    internal ProbeState? Record(ProbeResult result)
    {
        lock (_lock)
        {
            Checks++;
            Last = result;
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

    /// <summary>Takes the server out until <paramref name="until"/>, or puts it back (null); whether anything changed.</summary>
    internal bool SetPassiveDown(DateTimeOffset? until)
    {
        lock (_lock)
        {
            if (PassiveDownUntil == until)
            {
                return false;
            }

            PassiveDownUntil = until;
            return true;
        }
    }
}
