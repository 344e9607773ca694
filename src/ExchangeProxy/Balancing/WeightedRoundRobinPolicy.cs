using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Balancing;

/// <summary>
/// Smooth weighted round robin (nginx's algorithm): weights 3:1 give A A B A, not A A A B, and equal
/// weights give plain round robin, as HAProxy's <c>balance roundrobin</c>.
/// </summary>
public sealed class WeightedRoundRobinPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ExchangeProxy.RoundRobin";

    private readonly ConditionalWeakTable<ClusterState, Lock> _clusterLocks = [];
    private readonly ConditionalWeakTable<DestinationState, StrongBox<long>> _currentWeights = [];

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations)
    {
        var gate = _clusterLocks.GetValue(cluster, static _ => new Lock());
        lock (gate)
        {
            DestinationState? best = null;
            StrongBox<long>? bestWeight = null;
            long total = 0;
            foreach (var destination in availableDestinations)
            {
                var weight = DestinationWeight.Of(destination);
                if (weight == 0)
                {
                    continue;
                }

                var current = _currentWeights.GetValue(destination, static _ => new StrongBox<long>());
                current.Value += weight;
                total += weight;
                if (bestWeight is null || current.Value > bestWeight.Value)
                {
                    best = destination;
                    bestWeight = current;
                }
            }

            if (bestWeight is not null)
            {
                bestWeight.Value -= total;
            }

            return best;
        }
    }
}
