using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// Services without a body limit carry Outlook Anywhere's RPC_IN_DATA and similar long uploads that idle
/// between packets, so Kestrel's minimum upload rate (240 B/s) would cut them: it is waived for them.
/// </summary>
public static class ServiceLimits
{
    public static Task Apply(HttpContext context, Func<Task> next)
    {
        var route = context.GetReverseProxyFeature().Route.Config;
        if (route.MaxRequestBodySize == -1
            && route.Metadata?.ContainsKey(YarpModel.ServiceMetadata) == true
            && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        return next();
    }
}
