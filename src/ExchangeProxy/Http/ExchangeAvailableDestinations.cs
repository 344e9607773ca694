using ExchangeProxy.Admin;
using ExchangeProxy.Configuration;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// Which servers of a cluster can take requests: not DOWN by probe or by passive health, not in maintenance.
/// Draining servers stay available here, because sticky clients and pinned connections still reach them;
/// <see cref="DrainingServers"/> keeps new clients away. When no server is left, the service refuses (503 at
/// once) unless it is configured to use them all anyway (panic mode; maintenance still applies).
/// </summary>
public sealed class ExchangeAvailableDestinations(MaintenanceStates maintenance) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "ExchangeProxy.Available";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        var service = YarpModel.ServiceOf(config);
        var inService = new List<DestinationState>(allDestinations.Count);
        var available = new List<DestinationState>(allDestinations.Count);
        foreach (var destination in allDestinations)
        {
            if (service is not null && maintenance.For(service, destination.DestinationId) == AdminState.Maint)
            {
                continue;
            }

            inService.Add(destination);
            if (destination.Health.Active != DestinationHealth.Unhealthy && destination.Health.Passive != DestinationHealth.Unhealthy)
            {
                available.Add(destination);
            }
        }

        return available.Count == 0 && YarpModel.WhenAllDownOf(config) == WhenAllDown.UseAll ? inService : available;
    }

    /// <summary>YARP recomputes availability on health changes; a maintenance change asks for it here.</summary>
    public static void FollowMaintenance(IServiceProvider services)
    {
        var clusters = services.GetRequiredService<IProxyStateLookup>();
        var updater = services.GetRequiredService<IClusterDestinationsUpdater>();
        services.GetRequiredService<MaintenanceStates>().Changed += _ =>
        {
            foreach (var cluster in clusters.GetClusters())
            {
                updater.UpdateAvailableDestinations(cluster);
            }
        };
    }
}
