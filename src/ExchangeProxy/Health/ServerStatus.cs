using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// The probe state of one server for one service, with HAProxy's rise/fall: the first result decides, then an
/// UP server goes DOWN after <see cref="CheckSettings.Fall"/> failed checks in a row, and a DOWN one comes back
/// after <see cref="CheckSettings.Rise"/> good ones.
/// </summary>
public sealed class ServerStatus(string service, string server, CheckSettings check, DateTimeOffset since)
{
    private readonly Lock _lock = new();
    private int _streak;

    public string Service { get; } = service;

    public string Server { get; } = server;

    public CheckSettings Check { get; set; } = check;

    public ProbeState State { get; private set; }

    public ProbeResult? Last { get; private set; }

    /// <summary>When <see cref="State"/> last changed (or the status was created).</summary>
    public DateTimeOffset Since { get; private set; } = since;

    public long Checks { get; private set; }

    public bool Probed => Check.Type == CheckType.None || Checks > 0;

    /// <summary>Records a result; returns the new state when it changed.</summary>
    public ProbeState? Record(ProbeResult result)
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
}
