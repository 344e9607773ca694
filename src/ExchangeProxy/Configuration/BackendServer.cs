namespace ExchangeProxy.Configuration;

/// <summary>One CAS server as the operator listed it, once, for every service and pool that names it.</summary>
public sealed record BackendServer(string Name, Uri Address, int Weight)
{
    /// <summary>Where a pool reaches this server: its address, on the pool's port when the pool has one.</summary>
    public Uri AddressOn(int? port) => port is { } p && p != Address.Port ? new UriBuilder(Address) { Port = p }.Uri : Address;
}
