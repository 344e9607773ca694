using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Tcp;

/// <summary>Binds each layer-4 listener of the configuration to its <see cref="TcpProxyHandler"/> on Kestrel.</summary>
public static class TcpListeners
{
    public static void Listen(KestrelServerOptions kestrel, ProxyModel model)
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
    }

    public static IServiceCollection AddTcpProxy(this IServiceCollection services) =>
        services.AddSingleton<Statistics.ServerStatistics>()
            .AddSingleton<TcpServerSelector>()
            .AddSingleton<IdleSweeper>();
}
