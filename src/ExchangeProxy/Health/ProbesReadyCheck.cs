using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>Ready once every server has been probed once, so a new instance takes no traffic blind.</summary>
public sealed class ProbesReadyCheck(HealthStates states) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(states.Ready
            ? HealthCheckResult.Healthy("every server probed")
            : HealthCheckResult.Unhealthy("the first probe round is not complete"));
}
