using Microsoft.AspNetCore.Http.Features;

namespace ExchangeProxy.Protection;

/// <summary>
/// HTTP/1.1 as strict as HAProxy's parser, before anything is forwarded: a request whose head the
/// <see cref="Http1FramingScanner"/> judged (both lengths, a signed length, a Transfer-Encoding other than one
/// chunked) gets 400 and the connection closes, so nothing behind it on the connection is read as a request.
/// A chunked body's first chunk is checked later, once the service's body limit is set (<see cref="FirstChunkCheck"/>).
/// </summary>
public sealed partial class StrictRequests(RequestDelegate next, ILogger<StrictRequests> logger, EdgeRefusals refusals)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.Features.Get<HeadVerdicts>() is { } verdicts)
        {
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
            string? refusal = null;
            if (verdicts.TryTake(out var verdict))
            {
                refusal = verdict!.Method != request.Method || verdict.Target != target
                    ? $"the proxy lost the framing of this connection (it read '{verdict.Method} {verdict.Target}' where the server reads '{request.Method} {target}')"
                    : verdict.Refusal;
            }
            else if (!verdicts.IsBlind)
            {
                refusal = $"the proxy lost the framing of this connection (no request head where the server reads '{request.Method} {target}')";
            }

            if (refusal is not null)
            {
                await RefuseAsync(logger, refusals, context, target, refusal);
                return;
            }
        }

        await next(context);
    }

    /// <summary>Logs and answers a request refused for its framing: here, and for a malformed first chunk (<see cref="FirstChunkCheck"/>).</summary>
    public static Task RefuseAsync(ILogger logger, EdgeRefusals refusals, HttpContext context, string target, string reason)
    {
        LogRefused(logger, context.Connection.RemoteIpAddress, context.Request.Method, target, reason);
        return refusals.RefuseAsync(context, "StrictHttp", StatusCodes.Status400BadRequest, $"400 Refused: {reason}.\n");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused StrictHttp from {ClientIp}: {Method} {Target}: {Reason}")]
    private static partial void LogRefused(ILogger logger, System.Net.IPAddress? clientIp, string method, string target, string reason);
}
