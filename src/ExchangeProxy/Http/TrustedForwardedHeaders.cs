using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace ExchangeProxy.Http;

/// <summary>
/// ASP.NET Core's forwarded-headers middleware, believing X-Forwarded-For/Proto only from the configured
/// proxy networks (none by default, not even loopback), and rebuilt when the configuration changes.
/// The YARP transform then sets X-Forwarded-For to the client found here, so a spoofed header never reaches Exchange.
/// </summary>
public sealed class TrustedForwardedHeaders(RequestDelegate next, ProxyModelStore store, ILoggerFactory loggerFactory)
{
    private Built? _current;

    public Task InvokeAsync(HttpContext context)
    {
        var model = store.Current;
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
