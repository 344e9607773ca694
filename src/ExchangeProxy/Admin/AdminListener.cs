using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Server.Kestrel;
using Prometheus;

namespace ExchangeProxy.Admin;

/// <summary>
/// The admin listener (default 127.0.0.1:4711, as the seed's stats listener): its connections carry a marker,
/// and requests on them go to the admin branch (detailed health, the maintenance API) and never to the proxy.
/// The public listeners never serve the admin branch, whatever the Host header says.
/// </summary>
public static class AdminListener
{
    /// <summary>What Kestrel does with the admin endpoint of the accepted configuration (see <see cref="ProxyEndpoints"/>) when it binds it.</summary>
    public static void Declare(KestrelConfigurationLoader loader, IServiceProvider services) =>
        loader.Endpoint(ProxyEndpoints.AdminName, endpoint =>
        {
            services.GetRequiredService<ListenerEndpoints>().Add(ListenerEndpoints.Admin, endpoint.ListenOptions);
            endpoint.ListenOptions.Use(next => connection =>
            {
                connection.Features.Set(AdminConnection.Instance);
                return next(connection);
            });
        });

    internal static IApplicationBuilder Branch(IApplicationBuilder app) =>
        app.MapWhen(
            context => context.Features.Get<AdminConnection>() is not null,
            admin => admin
                .UseDetailedHealth()
                .UseMiddleware<AdminAuthentication>()
                .UseMiddleware<CrossSiteGuard>()
                .UseMetricServer("/metrics", admin.ApplicationServices.GetRequiredService<PrometheusMetrics>().Registry)
                .Run(AdminApi.HandleAsync));

    private sealed class AdminConnection
    {
        public static readonly AdminConnection Instance = new();
    }
}
