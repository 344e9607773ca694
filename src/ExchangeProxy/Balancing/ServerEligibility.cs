using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;

namespace ExchangeProxy.Balancing;

/// <summary>
/// Reads the <see cref="ServerCondition"/> of a server in a pool from the one health truth (<see cref="HealthStates"/>)
/// and the operator's maintenance states, and says when either changed, so that whoever caches a decision
/// (YARP's available destinations) makes it again.
/// </summary>
public sealed class ServerEligibility
{
    private readonly HealthStates _health;
    private readonly MaintenanceStates _maintenance;
    private readonly TimeProvider _time;

    public ServerEligibility(HealthStates health, MaintenanceStates maintenance, TimeProvider time)
    {
        _health = health;
        _maintenance = maintenance;
        _time = time;
        health.Changed += status => Changed?.Invoke(status.Service);
        maintenance.Changed += _ => Changed?.Invoke(null);
    }

    /// <summary>Raised when a server's condition may have changed, with its pool (null: any pool).</summary>
    public event Action<string?>? Changed;

    public ServerCondition Of(string pool, string server, int weight)
    {
        var status = _health.Find(pool, server);
        return new ServerCondition(
            status?.State ?? ProbeState.Unknown,
            status?.IsPassiveDown(_time.GetUtcNow()) ?? false,
            _maintenance.For(pool, server),
            _maintenance.WeightOf(pool, server, weight),
            (status?.Check.Type ?? CheckType.Http) == CheckType.None);
    }

    public ServerCondition Of(IServerPool pool, BackendServer server) => Of(pool.Name, server.Name, server.Weight);

    /// <summary>The server's weight in the pool: the operator's runtime weight, else the configured one.</summary>
    public int WeightOf(IServerPool pool, BackendServer server) => _maintenance.WeightOf(pool.Name, server.Name, server.Weight);
}
