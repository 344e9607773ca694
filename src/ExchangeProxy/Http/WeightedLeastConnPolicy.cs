using ExchangeProxy.Admin;
using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// HAProxy's <c>balance leastconn</c>: the server with the fewest requests in flight relative to its
/// weight; ties rotate so idle servers share the load evenly.
/// </summary>
public sealed class WeightedLeastConnPolicy(MaintenanceStates maintenance) : ILoadBalancingPolicy
{
    public const string PolicyName = "ExchangeProxy.LeastConn";

    private int _rotation;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
        Weighted.LeastLoaded(availableDestinations, DestinationWeight.In(cluster, maintenance), static d => d.ConcurrentRequestCount, Interlocked.Increment(ref _rotation));
}
