namespace ExchangeProxy.Configuration;

/// <summary>
/// Overrides for one service. Every property is optional: an unset one keeps the default of the
/// Exchange virtual directory (see <see cref="ExchangeVirtualDirectories"/>).
/// </summary>
public sealed class ServiceOptions
{
    public bool? Enabled { get; set; }

    /// <summary>Path prefix, matched case-insensitively. Required for services that are not Exchange virtual directories.</summary>
    public string? Path { get; set; }

    /// <summary>Names of the servers that carry this service; all servers when unset.</summary>
    public List<string>? Servers { get; set; }

    public BalanceMode? Balance { get; set; }

    /// <summary>How long a request may go without a byte moving in either direction before it fails with 504.</summary>
    public TimeSpan? ActivityTimeout { get; set; }

    /// <summary>How long to wait for the TCP and TLS connection to a server.</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>
    /// Further attempts after a connection to a server failed (refused, reset or timed out while connecting, TLS
    /// handshake failed) before any byte of the request left (HAProxy <c>retries</c>).
    /// </summary>
    public int? Retries { get; set; }

    /// <summary>Retries go to another server (HAProxy <c>option redispatch</c>).</summary>
    public bool? Redispatch { get; set; }

    /// <summary>Largest request body in bytes; 0 means no limit (and no minimum upload rate).</summary>
    public long? MaxRequestBodySize { get; set; }

    public bool? AcceptAnyServerCertificate { get; set; }

    /// <summary>
    /// Whether clients of this service sign in with NTLM or Negotiate (Kerberos): connection-bound schemes that
    /// need each client connection pinned to its own server connection. On by default where Exchange uses them.
    /// </summary>
    public bool? WindowsAuth { get; set; }

    /// <summary>How the service's servers are probed; default an HTTPS GET of the service's healthcheck.htm.</summary>
    public CheckOptions? Check { get; set; }

    /// <summary>Refuse (503 at once, the default) or UseAll (panic mode) when no server of the service is up.</summary>
    public WhenAllDown? WhenAllDown { get; set; }

    /// <summary>Client-IP affinity; none unless set.</summary>
    public AffinityOptions? Affinity { get; set; }
}
