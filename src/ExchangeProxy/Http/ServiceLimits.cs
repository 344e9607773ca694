using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Yarp.ReverseProxy.Configuration;

namespace ExchangeProxy.Http;

/// <summary>
/// The body limits of a service, applied before anything is forwarded. A body announced larger than the
/// service accepts is refused at once, so the server never sees the start of a request the proxy will cut.
/// Services without a limit carry Outlook Anywhere's RPC_IN_DATA and similar long uploads that idle between
/// packets, so Kestrel's minimum upload rate (240 B/s) would cut them: it is waived for them.
/// </summary>
public static class ServiceLimits
{
    public static Task Apply(HttpContext context, Func<Task> next)
    {
        var route = context.GetReverseProxyFeature().Route.Config;
        if (context.Request.ContentLength is long announced && LimitOf(route, context) is long limit && announced > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync($"413 The request body ({announced} bytes) is larger than the {limit} bytes this service accepts.\n");
        }

        if (route.MaxRequestBodySize == -1
            && route.Metadata?.ContainsKey(YarpModel.ServiceMetadata) == true
            && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        return next();
    }

    // YARP applies the route's limit (-1: none; unset: the listener's) only as it forwards.
    private static long? LimitOf(RouteConfig route, HttpContext context) => route.MaxRequestBodySize switch
    {
        null => context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize,
        -1 => null,
        var limit => limit,
    };
}
