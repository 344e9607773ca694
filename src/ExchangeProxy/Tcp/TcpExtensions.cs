using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeProxy.Tcp;

/// <summary>Layer 4: the services of the listeners, and each listener of the configuration bound to its <see cref="TcpProxyHandler"/> on Kestrel.</summary>
public static class TcpExtensions
{
    public static IServiceCollection AddTcpProxy(this IServiceCollection services)
    {
        services.TryAddSingleton<TcpServerSelector>();
        services.TryAddSingleton<IdleSweeper>();
        return services;
    }

    public static KestrelServerOptions ListenTcp(this KestrelServerOptions kestrel, ProxyModel model)
    {
        foreach (var service in model.TcpServices)
        {
            if (service.Listen is not { } endpoint)
            {
                continue;
            }

            kestrel.Listen(endpoint, listen =>
            {
                var services = kestrel.ApplicationServices;
                services.GetRequiredService<ListenerEndpoints>().Add(service.Name, listen);
                var handler = ActivatorUtilities.CreateInstance<TcpProxyHandler>(services, service.Name);
                listen.Run(handler.OnConnectedAsync);
            });
        }

        return kestrel;
    }
}
