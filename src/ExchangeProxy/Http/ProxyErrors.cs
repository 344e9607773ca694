using System.Text;
using Yarp.ReverseProxy.Forwarder;

namespace ExchangeProxy.Http;

/// <summary>
/// YARP answers a failed forward with a bare status code; this gives the client a one-line reason and the
/// log the error, never a stack trace.
/// </summary>
public static class ProxyErrors
{
    public static async Task WriteReason(HttpContext context, Func<Task> next)
    {
        await next();
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || context.Response.HasStarted)
        {
            return;
        }

        var reason = error.Error switch
        {
            ForwarderError.RequestTimedOut => "The Exchange server did not answer in time.",
            ForwarderError.NoAvailableDestinations => "No Exchange server is available for this service.",
            ForwarderError.Request or ForwarderError.RequestCreation => "The Exchange server could not be reached.",
            _ => null,
        };
        if (reason is null)
        {
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync($"{context.Response.StatusCode} {reason}\n", Encoding.UTF8);
    }
}
