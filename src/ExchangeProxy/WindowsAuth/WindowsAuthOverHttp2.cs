using ExchangeProxy.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// HTTP/2 and HTTP/3 carry many requests over one connection, so a connection-bound sign-in cannot work over
/// them. On Windows auth routes the proxy resets such a stream with HTTP_1_1_REQUIRED (RFC 9113 section 7;
/// H3_VERSION_FALLBACK for HTTP/3), as IIS itself does, and the client retries over HTTP/1.1. The listener
/// keeps offering HTTP/2 because ALPN is settled before the path is known, and OWA and ECP gain from it.
/// </summary>
public sealed class WindowsAuthOverHttp2 : ITransformProvider
{
    public const int Http11Required = 0xd;
    public const int H3VersionFallback = 0x110;

    /// <summary>Resets the request's stream; false when the protocol has no streams to reset.</summary>
    public static bool Refuse(HttpContext context)
    {
        if (context.Features.Get<IHttpResetFeature>() is not { } reset)
        {
            return false;
        }

        reset.Reset(HttpProtocol.IsHttp3(context.Request.Protocol) ? H3VersionFallback : Http11Required);
        return true;
    }

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (YarpModel.IsWindowsAuth(context.Route))
        {
            context.AddResponseTransform(RefuseChallenge);
        }
    }

    private static ValueTask RefuseChallenge(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (http.Response.StatusCode == StatusCodes.Status401Unauthorized
            && !HttpProtocol.IsHttp10(http.Request.Protocol)
            && !HttpProtocol.IsHttp11(http.Request.Protocol)
            && ConnectionBoundAuth.IsChallenge(http.Response.Headers.WWWAuthenticate)
            && Refuse(http))
        {
            context.SuppressResponseBody = true;
        }

        return ValueTask.CompletedTask;
    }
}
