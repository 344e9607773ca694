using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Server.Kestrel;

namespace ExchangeProxy.Http;

/// <summary>
/// The plain-HTTP listener (<c>ExchangeProxy:HttpRedirect</c>): every request on it, whatever its path, is sent
/// to the same host, path and query over HTTPS, and nothing else is served there. Written here rather than with
/// ASP.NET Core's UseHttpsRedirection, which reads its port once at start, answers on every listener, and
/// takes the client's Host as it comes: here the port follows reloads and is never the client's, and a Host
/// that is not a plain DNS name or IP address gets 400 instead of a Location built from it.
/// </summary>
public static class HttpsRedirect
{
    private const int MaxHostLength = 255;

    /// <summary>What Kestrel does with the redirect endpoint of the accepted configuration (see <see cref="ProxyEndpoints"/>) when it binds it.</summary>
    public static KestrelConfigurationLoader DeclareHttpRedirectEndpoint(this KestrelConfigurationLoader loader, IServiceProvider services) =>
        loader.Endpoint(ProxyEndpoints.HttpRedirectName, endpoint =>
        {
            services.GetRequiredService<ListenerEndpoints>().Add(ListenerEndpoints.HttpRedirect, endpoint.ListenOptions);
            endpoint.ListenOptions.Use(next => connection =>
            {
                connection.Features.Set(RedirectConnection.Instance);
                return next(connection);
            });
        });

    /// <summary>Requests on the redirect listener end here; the others go on.</summary>
    public static IApplicationBuilder UseHttpsRedirect(this IApplicationBuilder app) =>
        app.MapWhen(context => context.Features.Get<RedirectConnection>() is not null, redirect => redirect.Run(RedirectAsync));

    private static Task RedirectAsync(HttpContext context)
    {
        var request = context.Request;
        var host = request.Host.Host;
        if (host.Length is 0 or > MaxHostLength
            || Uri.CheckHostName(host.Trim('[', ']')) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        var port = context.RequestServices.GetRequiredService<ProxyModelStore>().Current.HttpRedirect?.HttpsPort ?? HttpRedirectSettings.DefaultHttpsPort;
        var target = port == HttpRedirectSettings.DefaultHttpsPort ? new HostString(host) : new HostString(host, port);
        // 301 as nginx's Exchange guide; 308 for other methods, which a 301 would let clients turn into GET.
        context.Response.StatusCode = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            ? StatusCodes.Status301MovedPermanently
            : StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = UriHelper.BuildAbsolute(Uri.UriSchemeHttps, target, request.PathBase, request.Path, request.QueryString);
        return Task.CompletedTask;
    }

    private sealed class RedirectConnection
    {
        public static readonly RedirectConnection Instance = new();
    }
}
