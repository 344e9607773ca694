using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>The services' condition as one health check: the worst service decides.</summary>
public sealed class ServicesHealthCheck(ServiceReports reports) : IHealthCheck
{
    public const string ServicesKey = "services";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var services = reports.Build();
        var data = new Dictionary<string, object> { [ServicesKey] = services };
        var unhealthy = services.Where(s => s.Condition == ServiceCondition.Unhealthy).Select(s => s.Name).ToList();
        var degraded = services.Where(s => s.Condition == ServiceCondition.Degraded).Select(s => s.Name).ToList();
        return Task.FromResult(
            unhealthy.Count > 0 ? HealthCheckResult.Unhealthy($"no usable server for {string.Join(", ", unhealthy)}", data: data)
            : degraded.Count > 0 ? HealthCheckResult.Degraded($"some servers out for {string.Join(", ", degraded)}", data: data)
            : HealthCheckResult.Healthy("every server usable", data));
    }
}
