using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <param name="PassiveDown">Passive health took the server out after transport failures, for a while.</param>
/// <param name="Warning">Why the server breaks Extended Protection (a certificate not the listener's, plain HTTP), if it does.</param>
public sealed record ServerReport(
    string Name,
    ProbeState State,
    AdminState Admin,
    bool PassiveDown,
    CheckType Check,
    ProbeResult? Last,
    DateTimeOffset? Since,
    long Checks,
    string? Warning)
{
    /// <summary>Takes new clients: not down by probe or passive health, neither draining nor in maintenance.</summary>
    public bool Usable => State != ProbeState.Down && !PassiveDown && Admin == AdminState.Ready;
}
