using System.Net;

namespace ExchangeProxy.Configuration;

/// <summary>A layer-4 listener (or pool) with every default resolved.</summary>
/// <param name="Listen">Null for a pool that only SNI routes reach.</param>
/// <param name="Sni">Lower-case server names ("mail2.contoso.com", "*.contoso.net") to pool names.</param>
public sealed record TcpService(
    string Name,
    IPEndPoint? Listen,
    int Port,
    IReadOnlyList<BackendServer> Servers,
    BalanceMode Balance,
    StickTableSettings? Affinity,
    CheckSettings Check,
    TimeSpan ConnectTimeout,
    TimeSpan ClientTimeout,
    TimeSpan ServerTimeout,
    int MaxConnections,
    int Retries,
    bool Redispatch,
    bool DontLogNull,
    ProxyProtocolVersion SendProxy,
    IReadOnlyList<IPNetwork> AcceptProxyFrom,
    IReadOnlyDictionary<string, string> Sni,
    bool AcceptAnyServerCertificate,
    IReadOnlyList<IPNetwork> AllowedClients,
    bool Relay) : IServerPool
{
    public int? ServerPort => Port;

    public bool IsHttp => false;

    /// <summary>Whether connections start with a PROXY header (from <see cref="AcceptProxyFrom"/> only).</summary>
    public bool AcceptProxy => AcceptProxyFrom.Count > 0;

    /// <summary>Whether <paramref name="peer"/> is one of the load balancers whose PROXY header is believed.</summary>
    public bool TrustsProxy(IPAddress peer)
    {
        var address = peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer;
        return AcceptProxyFrom.Any(n => n.Contains(address));
    }

    /// <summary>Whether <paramref name="client"/> may connect: listed, or nobody is listed on a listener that does not relay.</summary>
    public bool Allows(IPAddress client)
    {
        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        return AllowedClients.Count == 0 ? !Relay : AllowedClients.Any(n => n.Contains(address));
    }

    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultClientTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultServerTimeout = TimeSpan.FromMinutes(1);
    public const int DefaultMaxConnections = 10_000;
    public const int DefaultRetries = 3;
    public const int MaxRetries = 100;

    /// <summary>The pool for a TLS server name: the first exact match, then the longest wildcard; else this one.</summary>
    public string PoolFor(string? serverName)
    {
        if (serverName is null || Sni.Count == 0)
        {
            return Name;
        }

        var name = serverName.ToLowerInvariant();
        if (Sni.TryGetValue(name, out var exact))
        {
            return exact;
        }

        return Sni.Where(e => e.Key.StartsWith("*.", StringComparison.Ordinal) && name.EndsWith(e.Key[1..], StringComparison.Ordinal))
            .OrderByDescending(e => e.Key.Length)
            .Select(e => e.Value)
            .FirstOrDefault() ?? Name;
    }
}
