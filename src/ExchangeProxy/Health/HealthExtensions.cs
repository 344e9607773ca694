using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>The one health truth, the probes that feed it, and what reports it: /health, the server and certificate metrics.</summary>
public static class HealthExtensions
{
    /// <summary>The health truth alone, which server choice reads (the configuration check needs no more).</summary>
    public static IServiceCollection AddHealthStates(this IServiceCollection services)
    {
        services.TryAddSingleton<HealthStates>();
        return services;
    }

    /// <param name="configuration">Where the listeners' certificates are found, for the Extended Protection check.</param>
    public static IServiceCollection AddHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHealthStates();
        services.TryAddSingleton(sp => new ListenerCertificates(configuration, [], sp.GetRequiredService<ILogger<ListenerCertificates>>()));
        services.TryAddSingleton<Probes>();
        services.TryAddSingleton<ServiceReports>();
        services.TryAddSingleton<CertificateExpiries>();
        services.AddHostedService<HealthMonitor>();
        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy("serving"), tags: [HealthEndpoints.LiveTag])
            .AddCheck<ProbesReadyCheck>("probes", tags: [HealthEndpoints.ReadyTag])
            .AddCheck<ServicesHealthCheck>(HealthEndpoints.ServicesCheck, tags: [HealthEndpoints.ServicesTag])
            .AddCheck<CertificatesHealthCheck>(HealthEndpoints.CertificatesCheck, tags: [HealthEndpoints.ServicesTag]);
        return services;
    }

    /// <summary>/health, /health/live and /health/ready on the public listeners; the server and certificate metrics exist from the start.</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.Services.GetRequiredService<ServiceReports>();
        app.Services.GetRequiredService<CertificateExpiries>();
        HealthEndpoints.MapPublic(app);
        return app;
    }

    /// <summary>The same paths with the detail per service and server, for the admin listener.</summary>
    public static IApplicationBuilder UseDetailedHealth(this IApplicationBuilder admin) => HealthEndpoints.UseDetailed(admin);
}
