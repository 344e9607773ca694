using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Balancing;

/// <summary>
/// HAProxy's <c>balance leastconn</c>: the server with the fewest requests in flight relative to its
/// weight; ties rotate so idle servers share the load evenly.
/// </summary>
public sealed class WeightedLeastConnPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ExchangeProxy.LeastConn";

    private int _rotation;

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var count = availableDestinations.Count;
        if (count == 0)
        {
            return null;
        }

        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)count);
        DestinationState? best = null;
        long bestLoad = 0;
        long bestWeight = 0;
        for (var i = 0; i < count; i++)
        {
            var destination = availableDestinations[(start + i) % count];
            long weight = DestinationWeight.Of(destination);
            if (weight == 0)
            {
                continue;
            }

            long load = destination.ConcurrentRequestCount;
            // load / weight < bestLoad / bestWeight, without division.
            if (best is null || load * bestWeight < bestLoad * weight)
            {
                best = destination;
                bestLoad = load;
                bestWeight = weight;
            }
        }

        return best;
    }
}
