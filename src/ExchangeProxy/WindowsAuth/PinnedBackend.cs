using ExchangeProxy.Http;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// The server connection owned by one pinned client connection: one server, one TCP connection, never pooled
/// and never shared. YARP forwards through it because the pinned request's <see cref="ClusterModel"/> carries
/// this client instead of the cluster's pooled one.
/// </summary>
public sealed class PinnedBackend : IDedicatedConnectionEvents, IDisposable
{
    private readonly ClientConnection _client;
    private readonly PinnedConnections _registry;
    private readonly HttpMessageInvoker _invoker;
    private ClusterModel? _carrying;
    private DestinationState[]? _only;
    private int _connections;

    public PinnedBackend(ClientConnection client, string clusterId, ClusterConfig cluster, BackendHttpClientFactory clients, PinnedConnections registry)
    {
        _client = client;
        _registry = registry;
        ClusterId = clusterId;
        _invoker = clients.CreateDedicatedClient(clusterId, cluster, this);
        registry.Add(this);
    }

    /// <summary>The cluster whose request pinned the connection; its health decides when the pin is dropped.</summary>
    public string ClusterId { get; }

    /// <summary>The server's destination id, once a request has gone through.</summary>
    public string? Server { get; private set; }

    /// <summary>The server's address, which identifies it in every cluster that lists it.</summary>
    public string? Address { get; private set; }

    public string ClientConnectionId => _client.Id;

    /// <summary>The first server a request reached is the server for good.</summary>
    public void BindTo(DestinationState destination)
    {
        if (Address is null && destination.Model is { } model)
        {
            Server = destination.DestinationId;
            Address = model.Config.Address;
        }
    }

    /// <summary>The pinned server among <paramref name="available"/>, as a list of one, or null when it is not there.</summary>
    public IReadOnlyList<DestinationState>? Only(IReadOnlyList<DestinationState> available)
    {
        if (_only is [var cached] && available.Contains(cached))
        {
            return _only;
        }

        foreach (var destination in available)
        {
            if (string.Equals(destination.Model?.Config.Address, Address, StringComparison.OrdinalIgnoreCase))
            {
                return _only = [destination];
            }
        }

        return null;
    }

    /// <summary>The request's cluster, with this connection's client in place of the pooled one.</summary>
    public ClusterModel Carrying(ClusterModel cluster)
    {
        if (_carrying is not { } carrying || !ReferenceEquals(carrying.Config, cluster.Config))
        {
            _carrying = carrying = new ClusterModel(cluster.Config, _invoker);
        }

        return carrying;
    }

    /// <summary>Closes the client connection (after its response in flight), so the client signs in afresh.</summary>
    public void Close() => _client.RequestClose();

    void IDedicatedConnectionEvents.Connected()
    {
        // A second connection means the server dropped the first, and with it the sign-in: this request goes
        // out on the new connection, and the client connection closes after its response.
        if (Interlocked.Increment(ref _connections) > 1)
        {
            _registry.LostServerConnection(this);
            Close();
        }
    }

    void IDedicatedConnectionEvents.Answered(HttpResponseMessage response)
    {
        if (response.Headers.ConnectionClose == true)
        {
            Close();
        }
    }

    public void Dispose()
    {
        _registry.Remove(this);
        _invoker.Dispose();
    }
}
