using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// YARP pipeline step between affinity and load balancing: a request not bound to a server (see
/// <see cref="StickyRequest"/>) is a new client, and goes only to the available servers that are open to new
/// clients (see <see cref="ServerCondition.OpenToNewClients"/>: not draining, weight above 0). Health was
/// applied already, in the available destinations (or waived there, in panic mode).
/// </summary>
public sealed class NewClientsOnly(RequestDelegate next, ServerEligibility eligibility)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (StickyRequest.Is(context))
        {
            return next(context);
        }

        var proxy = context.GetReverseProxyFeature();
        if (YarpModel.ServiceOf(proxy.Cluster.Config) is not { } service)
        {
            return next(context);
        }

        var destinations = proxy.AvailableDestinations;
        List<DestinationState>? taking = null;
        for (var i = 0; i < destinations.Count; i++)
        {
            var destination = destinations[i];
            if (!eligibility.Of(service, destination.DestinationId, DestinationWeight.Of(destination)).OpenToNewClients)
            {
                taking ??= [.. destinations.Take(i)];
            }
            else
            {
                taking?.Add(destination);
            }
        }

        if (taking is not null)
        {
            proxy.AvailableDestinations = taking;
        }

        return next(context);
    }
}
