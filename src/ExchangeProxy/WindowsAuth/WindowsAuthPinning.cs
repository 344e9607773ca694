using ExchangeProxy.Http;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// YARP pipeline step, before affinity and load balancing. An HTTP/1.x client connection is pinned when it
/// sends NTLM or Negotiate credentials, or when its server answers with such a challenge; from then on every
/// request on it goes to the same server over the connection's own <see cref="PinnedBackend"/>. Everything
/// else of the pipeline (transforms, affinity, load balancing, health, logging) runs as for any request.
/// </summary>
public sealed partial class WindowsAuthPinning(
    RequestDelegate next, BackendHttpClientFactory clients, PinnedConnections pins, ILogger<WindowsAuthPinning> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var client = context.Features.Get<ClientConnection>();
        if (client is null)
        {
            return next(context);
        }

        if (client.Pin is { } pin)
        {
            return ForwardPinnedAsync(context, pin);
        }

        if (!YarpModel.IsWindowsAuth(context.GetRouteModel().Config))
        {
            return next(context);
        }

        if (!HttpProtocol.IsHttp10(context.Request.Protocol) && !HttpProtocol.IsHttp11(context.Request.Protocol))
        {
            return ConnectionBoundAuth.IsCredential(context.Request.Headers.Authorization)
                && WindowsAuthOverHttp2.Refuse(context) ? Task.CompletedTask : next(context);
        }

        return ConnectionBoundAuth.IsCredential(context.Request.Headers.Authorization)
            ? ForwardPinnedAsync(context, client.PinTo(c => NewPin(c, context)))
            : ForwardPooledAsync(context, client);
    }

    private async Task ForwardPooledAsync(HttpContext context, ClientConnection client)
    {
        await next(context);
        // The challenge came over a pooled connection, which is fine: a bare challenge carries no state, and the
        // client's next leg (its credentials) pins the connection before it leaves the proxy.
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized
            && ConnectionBoundAuth.IsChallenge(context.Response.Headers.WWWAuthenticate)
            && context.GetReverseProxyFeature().ProxiedDestination is { } destination)
        {
            client.PinTo(c => NewPin(c, context)).BindTo(destination);
        }
    }

    private async Task ForwardPinnedAsync(HttpContext context, PinnedBackend pin)
    {
        var proxy = context.GetReverseProxyFeature();
        if (pin.Address is not null)
        {
            var only = pin.Only(proxy.AvailableDestinations);
            if (only is null)
            {
                await RefuseAsync(context, pin);
                return;
            }

            proxy.AvailableDestinations = only;
            StickyRequest.Mark(context);
        }

        UseClient(context, proxy, pin.Carrying(proxy.Cluster));
        await next(context);
        if (context.GetReverseProxyFeature().ProxiedDestination is { } destination)
        {
            pin.BindTo(destination);
        }
    }

    /// <summary>YARP's forwarder sends through the client of the request's cluster model.</summary>
    private static void UseClient(HttpContext context, IReverseProxyFeature proxy, ClusterModel cluster)
    {
        if (proxy is ReverseProxyFeature feature)
        {
            feature.Cluster = cluster;
            return;
        }

        context.Features.Set<IReverseProxyFeature>(new ReverseProxyFeature
        {
            Route = proxy.Route,
            Cluster = cluster,
            AllDestinations = proxy.AllDestinations,
            AvailableDestinations = proxy.AvailableDestinations,
            ProxiedDestination = proxy.ProxiedDestination,
        });
    }

    /// <summary>
    /// The pinned server is down, drained or no longer serves this path: the sign-in cannot move with the
    /// request, so the client is told so and the connection closes; the client's next connection signs in afresh.
    /// </summary>
    private async Task RefuseAsync(HttpContext context, PinnedBackend pin)
    {
        var service = context.GetRouteModel().Config.RouteId;
        LogPinnedServerUnavailable(logger, pin.ClientConnectionId, pin.Server ?? "-", service);
        pin.Close();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(
            $"503 The Exchange server this connection signed in to ({pin.Server}) is not available for this service; reconnect to sign in again.\n");
    }

    private PinnedBackend NewPin(ClientConnection client, HttpContext context)
    {
        var cluster = context.GetReverseProxyFeature().Cluster;
        return new PinnedBackend(client, cluster.Config.ClusterId, cluster.Config, clients, pins);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Client connection {ConnectionId} is pinned to {Server}, which is not available for {Route}; closing it")]
    private static partial void LogPinnedServerUnavailable(ILogger logger, string connectionId, string server, string route);
}
