using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>HAProxy's <c>balance source</c> over a cluster's destinations (see <see cref="Weighted.ByHash"/>).</summary>
public sealed class SourceHashPolicy : ILoadBalancingPolicy
{
    public const string PolicyName = "ExchangeProxy.SourceHash";

    public string Name => PolicyName;

    public DestinationState? PickDestination(HttpContext context, ClusterState cluster, IReadOnlyList<DestinationState> availableDestinations) =>
        context.Connection.RemoteIpAddress is { } client
            ? Weighted.ByHash(availableDestinations, DestinationWeight.Of, static d => d.DestinationId, client)
            : availableDestinations.Count > 0 ? availableDestinations[0] : null;
}
