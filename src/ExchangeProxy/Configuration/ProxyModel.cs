using System.Net;

namespace ExchangeProxy.Configuration;

/// <summary>The validated configuration, with every default resolved: what the rest of the proxy reads.</summary>
public sealed record ProxyModel(
    IReadOnlyList<BackendServer> Servers,
    IReadOnlyList<ExchangeService> Services,
    IReadOnlyList<TcpService> TcpServices,
    IReadOnlyList<IPNetwork> TrustedProxies,
    StickStoreSettings? Redis,
    AdminSettings Admin,
    TimeSpan ShutdownGracePeriod,
    ProtectionSettings Protection,
    string? Namespace = null,
    CertificateAuthorities? ServerCertificateAuthorities = null,
    int? MaxConnections = null,
    HttpRedirectSettings? HttpRedirect = null,
    string? RootRedirect = null)
{
    public static readonly TimeSpan DefaultShutdownGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>How a pool's servers are reached over TLS; <paramref name="fallbackName"/> when no namespace is set.</summary>
    public ServerTls TlsFor(IServerPool pool, string fallbackName) =>
        new(Namespace ?? fallbackName, pool.AcceptAnyServerCertificate, ServerCertificateAuthorities);

    /// <summary>Every pool of servers, layer 7 and layer 4: what is probed and what maintenance applies to.</summary>
    public IEnumerable<IServerPool> Pools => Services.Cast<IServerPool>().Concat(TcpServices);

    public IServerPool? FindPool(string name) =>
        Pools.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every stick table's settings, from services and listeners alike.</summary>
    public IEnumerable<StickTableSettings> StickTables =>
        Services.Select(s => s.Affinity).Concat(TcpServices.Select(t => t.Affinity)).OfType<StickTableSettings>();
}
