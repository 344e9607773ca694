using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// Kestrel connection middleware on every listener: gives each client connection its <see cref="ClientConnection"/>
/// and disposes it, with any dedicated server connection, when the client connection ends.
/// </summary>
public static class ClientConnections
{
    public static void Track(ListenOptions listen) =>
        listen.Use(next => async connection =>
        {
            using var client = new ClientConnection(
                connection.ConnectionId, connection.Features.Get<IConnectionLifetimeNotificationFeature>());
            connection.Features.Set(client);
            await next(connection);
        });
}
