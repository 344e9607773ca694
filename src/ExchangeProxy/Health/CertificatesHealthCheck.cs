using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>
/// Degraded, naming each certificate and its date, while one is expired or expires within
/// <see cref="CertificateExpiries.WarningPeriod"/>: traffic still flows, so never Unhealthy.
/// </summary>
public sealed class CertificatesHealthCheck(CertificateExpiries expiries) : IHealthCheck
{
    public const string CertificatesKey = "certificates";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var certificates = expiries.Current();
        var data = new Dictionary<string, object> { [CertificatesKey] = certificates };
        var due = certificates.Where(c => c.Due).ToList();
        return Task.FromResult(due.Count > 0
            ? HealthCheckResult.Degraded("renew: " + string.Join("; ", due.Select(c => c.Describe())), data: data)
            : HealthCheckResult.Healthy($"no certificate expires within {CertificateExpiries.WarningPeriod.TotalDays:0} days", data));
    }
}
