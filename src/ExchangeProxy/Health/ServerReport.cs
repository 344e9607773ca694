using System.Text.Json.Serialization;
using ExchangeProxy.Admin;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <param name="Condition">What decides whether the server takes clients (see <see cref="ServerCondition"/>).</param>
/// <param name="Warning">Why the server breaks Extended Protection (a certificate not the listener's, plain HTTP), if it does.</param>
public sealed record ServerReport(
    string Name,
    [property: JsonIgnore] ServerCondition Condition,
    CheckType Check,
    ProbeResult? Last,
    DateTimeOffset? Since,
    long Checks,
    string? Warning)
{
    public ProbeState State => Condition.Probe;

    public AdminState Admin => Condition.Admin;

    /// <summary>Live traffic failed to reach the server, which is out for a while.</summary>
    public bool PassiveDown => Condition.PassiveDown;

    /// <summary>Takes new clients (see <see cref="ServerCondition.TakesNewClients"/>).</summary>
    public bool Usable => Condition.TakesNewClients;
}
