namespace ExchangeProxy.Configuration;

/// <summary>
/// Servers probed and kept in or out together: an Exchange service (layer 7) or a layer-4 pool. Health and
/// maintenance are per server per pool.
/// </summary>
/// <param name="Port">The port the pool reaches its servers on; null: the port of each server's address.</param>
public sealed record ServerPool(string Name, IReadOnlyList<BackendServer> Servers, CheckSettings Check, bool AcceptAnyServerCertificate, int? Port)
{
    public Uri AddressOf(BackendServer server) => Port is { } port ? new UriBuilder(server.Address) { Port = port }.Uri : server.Address;
}
