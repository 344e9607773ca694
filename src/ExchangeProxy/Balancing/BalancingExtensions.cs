using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Statistics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeProxy.Balancing;

/// <summary>What both layers choose servers with: the eligibility rule and the state it reads, the stick tables and their store, the counters.</summary>
public static class BalancingExtensions
{
    public static IServiceCollection AddBalancing(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddHealthStates();
        services.AddMaintenanceStates();
        services.TryAddSingleton<ServerEligibility>();
        services.TryAddSingleton<PrometheusRegistry>();
        services.TryAddSingleton<ServerStatistics>();
        services.TryAddSingleton<StickTables>();

        return services;
    }

    /// <summary>The stick tables, and the Redis that shares them, follow the configuration from now on.</summary>
    public static WebApplication UseBalancing(this WebApplication app)
    {
        app.Services.GetRequiredService<StickTables>().Follow(app.Services.GetRequiredService<ProxyModelStore>());
        return app;
    }
}
