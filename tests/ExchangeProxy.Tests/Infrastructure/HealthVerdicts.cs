using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// Gives a server a health verdict through YARP's destination health updater, as passive health does after
/// transport failures (the generated clusters enable passive health, so it decides which servers are available).
/// </summary>
public static class HealthVerdicts
{
    public static void Set(RunningProxy proxy, string clusterId, string destinationId, DestinationHealth health)
    {
        var cluster = proxy.Services.GetRequiredService<IProxyStateLookup>().GetClusters().Single(c => c.ClusterId == clusterId);
        proxy.Services.GetRequiredService<IDestinationHealthUpdater>()
            .SetPassive(cluster, cluster.Destinations[destinationId], health, reactivationPeriod: TimeSpan.FromHours(1));
    }
}
