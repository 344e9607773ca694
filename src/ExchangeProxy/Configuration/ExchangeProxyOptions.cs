namespace ExchangeProxy.Configuration;

/// <summary>The <c>ExchangeProxy</c> section of appsettings.json, as the operator writes it.</summary>
public sealed class ExchangeProxyOptions
{
    public const string SectionName = "ExchangeProxy";

    /// <summary>Every CAS server, listed once; services reference them by name.</summary>
    public List<ServerOptions> Servers { get; set; } = [];

    /// <summary>Per virtual directory settings, keyed by service name (owa, ews, rpc...). Omitted services use their defaults.</summary>
    public Dictionary<string, ServiceOptions> Services { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Networks (CIDR or single address) whose X-Forwarded-For / X-Forwarded-Proto are believed.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// The name clients reach Exchange by (mail.contoso.com): probes ask for it (SNI, Host) and check the CAS
    /// servers' certificates against it, even where servers are listed by IP. Default: the DNS name of the
    /// listener's certificate, else each server's address.
    /// </summary>
    public string? Namespace { get; set; }

    /// <summary>A PEM file of the authorities that issue the CAS servers' certificates, when the system does not trust them.</summary>
    public string? ServerCertificateAuthority { get; set; }

    /// <summary>Default for every service: accept any backend certificate (self-signed lab servers). Off unless written.</summary>
    public bool AcceptAnyServerCertificate { get; set; }

    /// <summary>Layer-4 listeners and pools, keyed by name.</summary>
    public Dictionary<string, TcpListenerOptions> Listeners { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public AdminOptions Admin { get; set; } = new();

    /// <summary>A plain-HTTP listener redirecting to HTTPS; none unless set.</summary>
    public HttpRedirectOptions? HttpRedirect { get; set; }

    /// <summary>Where a request for exactly <c>/</c> on the HTTPS listeners is sent (e.g. "/owa/"); off unless set.</summary>
    public string? RootRedirect { get; set; }

    public ProtectionOptions Protection { get; set; } = new();

    /// <summary>
    /// Client connections on all public listeners together (HAProxy's global <c>maxconn</c>); beyond it new ones
    /// are closed at once. Default: derived from the open-file limit.
    /// </summary>
    public int? MaxConnections { get; set; }

    /// <summary>On SIGTERM: how long in-flight requests and layer-4 connections may take to finish before they are cut.</summary>
    public TimeSpan? ShutdownGracePeriod { get; set; }

    /// <summary>Shares the stick tables between proxy instances; optional.</summary>
    public RedisOptions? Redis { get; set; }
}
