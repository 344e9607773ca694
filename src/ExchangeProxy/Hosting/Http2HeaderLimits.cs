using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Hosting;

/// <summary>
/// Over HTTP/2 Kestrel limits each header field (HPACK) to 32 KB by default, and a larger one is a connection error
/// (GOAWAY COMPRESSION_ERROR) that kills every stream on the connection before any fallback to HTTP/1.1 can
/// happen. A Kerberos token of a user in many groups, or OWA's cookies, exceed it. So a single field may be as
/// large as the whole header list (<c>Kestrel:Limits:MaxRequestHeadersTotalSize</c>), as over HTTP/1.1, unless
/// <c>Kestrel:Limits:Http2:MaxRequestHeaderFieldSize</c> says otherwise.
/// </summary>
public static class Http2HeaderLimits
{
    public static IServiceCollection FollowTotalHeaderSize(this IServiceCollection services, IConfiguration configuration) =>
        services.PostConfigure<KestrelServerOptions>(kestrel =>
        {
            if (configuration["Kestrel:Limits:Http2:MaxRequestHeaderFieldSize"] is null)
            {
                var http2 = kestrel.Limits.Http2;
                http2.MaxRequestHeaderFieldSize = Math.Max(http2.MaxRequestHeaderFieldSize, kestrel.Limits.MaxRequestHeadersTotalSize);
            }
        });
}
