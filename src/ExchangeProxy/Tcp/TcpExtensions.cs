using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using ExchangeProxy.Protection;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeProxy.Tcp;

/// <summary>Layer 4: the services of the listeners, and each listener bound to its <see cref="TcpProxyHandler"/> on Kestrel.</summary>
public static class TcpExtensions
{
    public static IServiceCollection AddTcpProxy(this IServiceCollection services)
    {
        services.TryAddSingleton<TcpServerSelector>();
        services.TryAddSingleton<IdleSweeper>();
        return services;
    }

    /// <summary>
    /// What Kestrel does with each layer-4 endpoint of the accepted configuration (see <see cref="ProxyEndpoints"/>)
    /// when it binds it: the listener's connections go to its <see cref="TcpProxyHandler"/>. Declared again for
    /// every accepted model, so a listener added by a reload is served too.
    /// </summary>
    public static KestrelConfigurationLoader DeclareTcpEndpoints(this KestrelConfigurationLoader loader, ProxyModel model, IServiceProvider services)
    {
        foreach (var listener in model.TcpServices)
        {
            var name = listener.Name;
            loader.Endpoint(ProxyEndpoints.TcpName(name), endpoint =>
            {
                services.GetRequiredService<ListenerEndpoints>().Add(name, endpoint.ListenOptions);
                var handler = ActivatorUtilities.CreateInstance<TcpProxyHandler>(services, name);
                InspectedConnection.Exempt(endpoint.ListenOptions);
                endpoint.ListenOptions.Run(handler.OnConnectedAsync);
            });
        }

        return loader;
    }
}
