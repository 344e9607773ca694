using Microsoft.AspNetCore.Http.Features;

namespace ExchangeProxy.Protection;

/// <summary>
/// The first chunk of a chunked body is read before forwarding, so a malformed one is refused before the server
/// sees the headers (after 100-continue the client sends nothing until the server has answered, so not then).
/// Reading starts the body, and from then on Kestrel keeps the limit in force, so the route's limit is set first,
/// as YARP's own limits step (which runs after the proxy's steps) would: before, every chunked body met Kestrel's
/// default of 30 MB, whatever its service allows.
/// </summary>
public sealed class FirstChunkCheck(RequestDelegate next, ILogger<StrictRequests> logger, EdgeRefusals refusals)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Headers.TransferEncoding.Count > 0 && request.Headers.Expect.Count == 0)
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit
                && context.GetReverseProxyFeature().Route.Config.MaxRequestBodySize is { } max)
            {
                limit.MaxRequestBodySize = max == -1 ? null : max;
            }

            try
            {
                var first = await request.BodyReader.ReadAsync(context.RequestAborted);
                // Nothing consumed: the forwarder reads the same bytes again.
                request.BodyReader.AdvanceTo(first.Buffer.Start);
            }
            catch (Exception e) when (e is BadHttpRequestException || (e is IOException && !context.RequestAborted.IsCancellationRequested))
            {
                // Kestrel's chunk parser: BadHttpRequestException, or IOException for a size that overflows.
                var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
                await StrictRequests.RefuseAsync(logger, refusals, context, target, $"a malformed chunked body ({e.Message})");
                return;
            }
        }

        await next(context);
    }
}
