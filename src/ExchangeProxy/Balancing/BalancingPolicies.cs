using ExchangeProxy.Admin;
using ExchangeProxy.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.SessionAffinity;

namespace ExchangeProxy.Balancing;

/// <summary>
/// The proxy's load balancing, affinity and availability policies (with the state they read), for the proxy
/// and for the configuration check alike.
/// </summary>
public static class BalancingPolicies
{
    public static IServiceCollection AddBalancingPolicies(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<ILoadBalancingPolicy, WeightedRoundRobinPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, WeightedLeastConnPolicy>();
        services.AddSingleton<ILoadBalancingPolicy, SourceHashPolicy>();
        services.AddSingleton<StickTables>();
        services.AddSingleton<ISessionAffinityPolicy, ClientIpAffinityPolicy>();
        services.AddSingleton<MaintenanceStates>();
        services.AddSingleton<Health.HealthStates>();
        services.AddSingleton<ServerEligibility>();
        services.AddSingleton<IAvailableDestinationsPolicy, ExchangeAvailableDestinations>();
        return services;
    }
}
