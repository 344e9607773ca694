using ExchangeProxy.Configuration;

namespace ExchangeProxy.Http;

/// <summary>
/// A request for exactly <c>/</c> is sent to <c>ExchangeProxy:RootRedirect</c> (e.g. /owa/), as Exchange's own
/// IIS and every appliance template do, instead of a 404; read per request, so a reload switches it.
/// </summary>
public static class RootRedirect
{
    public static IApplicationBuilder UseRootRedirect(this IApplicationBuilder app)
    {
        var store = app.ApplicationServices.GetRequiredService<ProxyModelStore>();
        return app.Use((context, next) =>
        {
            if (context.Request.Path.Value == "/" && store.Current.RootRedirect is { } target)
            {
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = target;
                return Task.CompletedTask;
            }

            return next(context);
        });
    }
}
