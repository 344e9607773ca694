using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>/health/live answers 200 while the process serves requests; monitoring and the container HEALTHCHECK poll it.</summary>
public static class HealthEndpoints
{
    public const string LivePath = "/health/live";
    private const string LiveTag = "live";

    public static IServiceCollection AddProxyHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck("process", () => HealthCheckResult.Healthy("serving"), tags: [LiveTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapProxyHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        return endpoints;
    }
}
