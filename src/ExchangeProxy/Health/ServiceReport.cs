namespace ExchangeProxy.Health;

public sealed record ServiceReport(string Name, string Path, IReadOnlyList<ServerReport> Servers)
{
    /// <summary>Healthy: every server usable. Degraded: some are not. Unhealthy: none is.</summary>
    public ServiceCondition Condition =>
        Servers.All(s => s.Usable) ? ServiceCondition.Healthy
        : Servers.Any(s => s.Usable) ? ServiceCondition.Degraded
        : ServiceCondition.Unhealthy;
}
