namespace ExchangeProxy.Configuration;

/// <summary>
/// A layer-4 listener (HAProxy's <c>mode tcp</c>): bytes pass untouched to a server of its pool, so TLS ends
/// on the CAS server and SMTP speaks to it directly. Without <see cref="Listen"/> it is only a pool, for
/// other listeners to choose by TLS server name.
/// </summary>
public sealed class TcpListenerOptions
{
    /// <summary>IP:port to listen on, e.g. "0.0.0.0:443", "[::]:25".</summary>
    public string? Listen { get; set; }

    /// <summary>The servers' port; default the listening port.</summary>
    public int? Port { get; set; }

    /// <summary>Names of the servers in the pool; all servers when unset.</summary>
    public List<string>? Servers { get; set; }

    public BalanceMode? Balance { get; set; }

    public AffinityOptions? Affinity { get; set; }

    /// <summary>Default: Smtp for ports 25 and 587, TlsHello for 443 and 465, Tcp otherwise.</summary>
    public CheckOptions? Check { get; set; }

    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>How long the client may stay silent when it is its turn to speak.</summary>
    public TimeSpan? ClientTimeout { get; set; }

    /// <summary>How long the server may stay silent when it is its turn to speak.</summary>
    public TimeSpan? ServerTimeout { get; set; }

    public int? MaxConnections { get; set; }

    /// <summary>Further connection attempts after a failed one (HAProxy <c>retries</c>).</summary>
    public int? Retries { get; set; }

    /// <summary>Retries go to another server (HAProxy <c>option redispatch</c>).</summary>
    public bool? Redispatch { get; set; }

    /// <summary>No log line for connections that carried no byte (HAProxy <c>option dontlognull</c>).</summary>
    public bool? DontLogNull { get; set; }

    /// <summary>Send a PROXY protocol header to the server (for Postfix-style relays; Exchange does not accept it).</summary>
    public ProxyProtocolVersion? SendProxy { get; set; }

    /// <summary>Expect a PROXY protocol header (v1 or v2) from an upstream load balancer.</summary>
    public bool? AcceptProxy { get; set; }

    /// <summary>The networks of the load balancers that send PROXY headers; default: TrustedProxies. Anyone else is closed.</summary>
    public List<string>? AcceptProxyFrom { get; set; }

    /// <summary>TLS server name (exact, or "*.domain") to the name of another listener whose pool takes it.</summary>
    public Dictionary<string, string>? Sni { get; set; }

    public bool? AcceptAnyServerCertificate { get; set; }

    /// <summary>Client networks (CIDR or address) that may connect; everyone when empty, unless Relay.</summary>
    public List<string>? AllowedClients { get; set; }

    /// <summary>
    /// The servers relay for whoever the proxy lets in (every sender reaches Exchange with the proxy's address):
    /// then only AllowedClients may connect, and nobody when it is empty.
    /// </summary>
    public bool? Relay { get; set; }
}
