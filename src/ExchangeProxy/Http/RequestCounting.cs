using ExchangeProxy.Statistics;
using Yarp.ReverseProxy.Forwarder;

namespace ExchangeProxy.Http;

/// <summary>
/// Counts each request of a generated service against the server it went to: last in the YARP pipeline, where
/// the server is chosen, around YARP's forwarder. It starts the request's <see cref="ForwardAttempt"/>, which
/// a retry moves to another server; failed connects before a retry are counted there, the last one here.
/// </summary>
public sealed class RequestCounting(RequestDelegate next, ServerStatistics statistics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.AvailableDestinations is not [var destination] || YarpModel.ServiceOf(proxy.Cluster.Config) is not { } service)
        {
            await next(context);
            return;
        }

        var counters = statistics.For(ServerStatistics.Http, service, destination.DestinationId);
        var started = counters.Start();
        var attempt = new ForwardAttempt(context, service, destination, counters);
        context.Features.Set(attempt);
        try
        {
            await next(context);
        }
        finally
        {
            // The server the request ended on: another one than chosen here when a retry moved it. Its duration
            // includes the failed attempts, as the client waited through them.
            Finish(attempt.Counters, context);
            attempt.Counters.Took(started);
        }
    }

    private static void Finish(ServerCounters counters, HttpContext context)
    {
        var transferred = context.Features.Get<TransferCounts>();
        counters.Finish(transferred?.RequestBytes ?? 0, transferred?.ResponseBytes ?? 0);
        switch (context.Features.Get<IForwarderErrorFeature>()?.Error)
        {
            case ForwarderError.Request or ForwarderError.RequestCreation:
                Interlocked.Increment(ref counters.ConnectErrors);
                break;
            case ForwarderError.RequestTimedOut or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination
                or ForwarderError.UpgradeResponseDestination:
                Interlocked.Increment(ref counters.ResponseErrors);
                break;
        }

        if (context.Response.StatusCode >= 500)
        {
            Interlocked.Increment(ref counters.ServerErrors);
        }
    }
}
