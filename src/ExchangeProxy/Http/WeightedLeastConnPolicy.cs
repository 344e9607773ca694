using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// HAProxy's <c>balance leastconn</c>: the server with the fewest requests in flight relative to its
/// weight; ties rotate so idle servers share the load evenly.
/// </summary>
public sealed class WeightedLeastConnPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ExchangeProxy.LeastConn";

    private int _rotation;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
        Weighted.LeastLoaded(availableDestinations, DestinationWeight.Of, static d => d.ConcurrentRequestCount, Interlocked.Increment(ref _rotation));
}
