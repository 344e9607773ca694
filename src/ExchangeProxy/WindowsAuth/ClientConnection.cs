using Microsoft.AspNetCore.Connections.Features;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// One client TCP connection, as a connection feature that requests on it can reach: whether it is pinned to a
/// dedicated server connection, and how to close it. HTTP/1.x serves one request at a time per connection, so
/// only <see cref="RequestClose"/> is called from other threads.
/// </summary>
public sealed class ClientConnection(string id, IConnectionLifetimeNotificationFeature? lifetime) : IDisposable
{
    public string Id { get; } = id;

    public PinnedBackend? Pin { get; private set; }

    public PinnedBackend PinTo(Func<ClientConnection, PinnedBackend> create) => Pin ??= create(this);

    /// <summary>
    /// Ends the connection gracefully: after the response in flight (which then says <c>Connection: close</c>),
    /// or at once when it is idle.
    /// </summary>
    public void RequestClose() => lifetime?.RequestClose();

    public void Dispose() => Pin?.Dispose();
}
