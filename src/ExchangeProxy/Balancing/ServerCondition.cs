using ExchangeProxy.Admin;
using ExchangeProxy.Health;

namespace ExchangeProxy.Balancing;

/// <summary>
/// Everything that decides whether one server may take a client of one pool, and the decision itself: the one
/// rule both layers, the stats page and /health apply.
/// </summary>
/// <param name="Probe">What the probes say.</param>
/// <param name="PassiveDown">Live traffic failed to reach the server, and it is out for a while.</param>
/// <param name="Admin">What the operator says (drain, maint).</param>
/// <param name="Weight">0 takes no new clients, as HAProxy's weight 0.</param>
/// <param name="Unprobed">The pool's check is None: the server counts as up.</param>
public readonly record struct ServerCondition(ProbeState Probe, bool PassiveDown, AdminState Admin, int Weight, bool Unprobed)
{
    /// <summary>Probes or live traffic took the server out.</summary>
    public bool IsDown => Probe == ProbeState.Down || PassiveDown;

    /// <summary>Not in maintenance: panic mode (WhenAllDown UseAll) may still try it when no server is up.</summary>
    public bool InService => Admin != AdminState.Maint;

    /// <summary>Clients already bound to the server (stuck by affinity, pinned by Windows auth) may reach it: up and in service, draining or not.</summary>
    public bool ServesBoundClients => InService && !IsDown;

    /// <summary>What sets new clients apart from bound ones: the server is neither draining nor of weight 0.</summary>
    public bool OpenToNewClients => Admin == AdminState.Ready && Weight > 0;

    /// <summary>New clients may be sent to it: it serves bound clients and is open to new ones.</summary>
    public bool TakesNewClients => ServesBoundClients && OpenToNewClients;

    /// <summary>The stats page's word: MAINT, DRAIN (also for weight 0, as HAProxy shows it), DOWN, UP, or UNKNOWN before the first check.</summary>
    public string Status => Admin switch
    {
        AdminState.Maint => "MAINT",
        AdminState.Drain => "DRAIN",
        _ when IsDown => "DOWN",
        _ when Weight == 0 => "DRAIN",
        _ when Probe == ProbeState.Up || Unprobed => "UP",
        _ => "UNKNOWN",
    };
}
