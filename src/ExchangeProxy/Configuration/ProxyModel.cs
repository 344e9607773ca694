using System.Net;
using ExchangeProxy.Balancing;
using ExchangeProxy.Health;

namespace ExchangeProxy.Configuration;

/// <summary>The validated configuration, with every default resolved: what the rest of the proxy reads.</summary>
public sealed record ProxyModel(
    IReadOnlyList<BackendServer> Servers,
    IReadOnlyList<ExchangeService> Services,
    IReadOnlyList<IPNetwork> TrustedProxies,
    StickStoreSettings? Redis,
    AdminSettings Admin);

public sealed record BackendServer(string Name, Uri Address, int Weight);

/// <param name="MaxRequestBodySize">Bytes, or null for no limit.</param>
/// <param name="Affinity">The stick table that keeps a client on one server, or null for none.</param>
/// <param name="WindowsAuth">NTLM/Negotiate challenges pin the client connection (see WindowsAuth/).</param>
public sealed record ExchangeService(
    string Name,
    string Path,
    BalanceMode Balance,
    IReadOnlyList<BackendServer> Servers,
    TimeSpan ActivityTimeout,
    TimeSpan ConnectTimeout,
    long? MaxRequestBodySize,
    bool AcceptAnyServerCertificate,
    bool WindowsAuth,
    StickTableSettings? Affinity,
    CheckSettings Check,
    WhenAllDown WhenAllDown);
