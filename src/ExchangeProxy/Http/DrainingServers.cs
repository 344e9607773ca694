using ExchangeProxy.Admin;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// YARP pipeline step between affinity and load balancing: a request that is not bound to a server (see
/// <see cref="StickyRequest"/>) is a new client, and new clients do not go to draining servers.
/// </summary>
public sealed class DrainingServers(RequestDelegate next, MaintenanceStates maintenance)
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
        List<DestinationState>? ready = null;
        for (var i = 0; i < destinations.Count; i++)
        {
            if (maintenance.For(service, destinations[i].DestinationId) == AdminState.Drain)
            {
                ready ??= [.. destinations.Take(i)];
            }
            else
            {
                ready?.Add(destinations[i]);
            }
        }

        if (ready is not null)
        {
            proxy.AvailableDestinations = ready;
        }

        return next(context);
    }
}
