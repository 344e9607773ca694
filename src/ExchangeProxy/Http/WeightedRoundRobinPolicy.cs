using System.Runtime.CompilerServices;
using ExchangeProxy.Admin;
using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// Smooth weighted round robin over a cluster's destinations (see <see cref="Weighted.RoundRobin"/>), as
/// HAProxy's <c>balance roundrobin</c>.
/// </summary>
public sealed class WeightedRoundRobinPolicy(MaintenanceStates maintenance) : ILoadBalancingPolicy
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
            return Weighted.RoundRobin(availableDestinations, _currentWeights, DestinationWeight.In(cluster, maintenance),
                static (destination, weights) => weights.GetValue(destination, static _ => new StrongBox<long>()));
        }
    }
}
