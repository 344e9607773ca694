using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// Which servers of a generated cluster requests may reach: those that serve bound clients (see
/// <see cref="ServerCondition"/>). Draining servers stay here, because sticky clients and pinned connections
/// still reach them; <see cref="NewClientsOnly"/> keeps new clients away. When none is left, the service refuses
/// (503 at once) unless it is configured to try them all anyway (panic mode; maintenance still applies). YARP
/// caches the answer per cluster; <see cref="Follow"/> has it asked again whenever a condition changes.
/// </summary>
public sealed class ExchangeAvailableDestinations(ServerEligibility eligibility) : IAvailableDestinationsPolicy
{
    public const string PolicyName = "ExchangeProxy.Available";

    public string Name => PolicyName;

    public IReadOnlyList<DestinationState> GetAvailalableDestinations(ClusterConfig config, IReadOnlyList<DestinationState> allDestinations)
    {
        if (YarpModel.ServiceOf(config) is not { } service)
        {
            return allDestinations;
        }

        var inService = new List<DestinationState>(allDestinations.Count);
        var available = new List<DestinationState>(allDestinations.Count);
        foreach (var destination in allDestinations)
        {
            var condition = eligibility.Of(service, destination.DestinationId, DestinationWeight.Of(destination));
            if (condition.InService)
            {
                inService.Add(destination);
            }

            if (condition.ServesBoundClients)
            {
                available.Add(destination);
            }
        }

        return available.Count == 0 && YarpModel.WhenAllDownOf(config) == WhenAllDown.UseAll ? inService : available;
    }

    /// <summary>Recomputes a service's available destinations whenever a server's condition changes.</summary>
    public static void Follow(IServiceProvider services)
    {
        var clusters = services.GetRequiredService<IProxyStateLookup>();
        var updater = services.GetRequiredService<IClusterDestinationsUpdater>();
        services.GetRequiredService<ServerEligibility>().Changed += pool =>
        {
            if (pool is null)
            {
                foreach (var cluster in clusters.GetClusters())
                {
                    updater.UpdateAvailableDestinations(cluster);
                }
            }
            else if (clusters.TryGetCluster(YarpModel.IdOf(pool), out var cluster))
            {
                updater.UpdateAvailableDestinations(cluster);
            }
        };
    }
}
