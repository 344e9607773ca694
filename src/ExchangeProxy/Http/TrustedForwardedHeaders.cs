using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace ExchangeProxy.Http;

/// <summary>
/// ASP.NET Core's forwarded-headers middleware, believing X-Forwarded-For/Proto only from the configured
/// proxy networks (none by default, not even loopback), and rebuilt when the configuration changes.
/// The YARP transform then sets X-Forwarded-For to the client found here, so a spoofed header never reaches Exchange;
/// the other headers that name a client address are removed unless a trusted proxy sent them.
/// </summary>
public sealed class TrustedForwardedHeaders(RequestDelegate next, ProxyModelStore store, ILoggerFactory loggerFactory)
{
    /// <summary>Client-address headers that applications and IIS modules read, besides the X-Forwarded-For the proxy sets.</summary>
    public static readonly IReadOnlyList<string> ClientAddressHeaders =
    [
        "Forwarded", "X-Real-IP", "X-Original-For", "X-Original-Proto", "X-Original-Host", "X-Client-IP", "True-Client-IP",
        "X-Cluster-Client-IP", "X-Originating-IP", "CF-Connecting-IP", "Fastly-Client-IP",
    ];

    private Built? _current;

    public Task InvokeAsync(HttpContext context)
    {
        var model = store.Current;
        if (context.Connection.RemoteIpAddress is not { } peer || !model.TrustedProxies.Any(n => n.Contains(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer)))
        {
            var headers = context.Request.Headers;
            foreach (var name in ClientAddressHeaders)
            {
                headers.Remove(name);
            }
        }

        var current = _current;
        if (current is null || !ReferenceEquals(current.Model, model))
        {
            // With no known proxy at all, the middleware would believe everyone: skip it instead.
            current = new Built(model, model.TrustedProxies.Count == 0
                ? null
                : new ForwardedHeadersMiddleware(next, loggerFactory, Options.Create(For(model))));
            _current = current;
        }

        return current.Inner is null ? next(context) : current.Inner.Invoke(context);
    }

    internal static ForwardedHeadersOptions For(ProxyModel model)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
            // Walk back through every trusted hop to the first untrusted address.
            ForwardLimit = null,
        };
        // The defaults trust loopback; the proxy trusts only what the operator lists.
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var network in model.TrustedProxies)
        {
            options.KnownIPNetworks.Add(network);
        }

        return options;
    }

    private sealed record Built(ProxyModel Model, ForwardedHeadersMiddleware? Inner);
}
