using System.Globalization;
using System.Net;
using ExchangeProxy.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.SessionAffinity;
using Yarp.ReverseProxy.Transforms;

namespace ExchangeProxy.Http;

/// <summary>Translates one Exchange service into one YARP route and one cluster over its servers.</summary>
public static class YarpModel
{
    public const string ServiceMetadata = "ExchangeProxy.Service";
    public const string ConnectTimeoutMetadata = "ExchangeProxy.ConnectTimeout";

    /// <summary>Cluster metadata: further attempts after a failed connect (see <see cref="RetryingHandler"/>).</summary>
    public const string RetriesMetadata = "ExchangeProxy.Retries";

    /// <summary>Cluster metadata: "true" when retries go to another server.</summary>
    public const string RedispatchMetadata = "ExchangeProxy.Redispatch";

    /// <summary>Cluster metadata: the PEM file of the authorities the servers' certificates are checked against.</summary>
    public const string CertificateAuthorityMetadata = "ExchangeProxy.ServerCertificateAuthority";

    /// <summary>Route metadata: "true" where clients sign in with NTLM or Negotiate (custom routes may set it too).</summary>
    public const string WindowsAuthMetadata = "ExchangeProxy.WindowsAuth";

    public static string IdOf(ExchangeService service) => IdOf(service.Name);

    public static string IdOf(string serviceName) => "exchange-" + serviceName;

    public static RouteConfig Route(ExchangeService service) =>
        new RouteConfig
        {
            RouteId = IdOf(service),
            ClusterId = IdOf(service),
            // Routing matches case-insensitively, and the catch-all also matches the bare prefix (/owa).
            Match = new RouteMatch { Path = service.Path + "/{**remainder}" },
            MaxRequestBodySize = service.MaxRequestBodySize ?? -1,
            Metadata = new Dictionary<string, string>
            {
                [ServiceMetadata] = service.Name,
                [WindowsAuthMetadata] = service.WindowsAuth ? "true" : "false",
            },
        }
        // Exchange builds redirects and URLs from the Host the client used.
        .WithTransformUseOriginalHostHeader(useOriginal: true)
        // Set, never append: X-Forwarded-For carries the client as the proxy trusts it (see TrustedForwardedHeaders).
        .WithTransformXForwarded(xDefault: ForwardedTransformActions.Set);

    /// <summary>Cluster metadata: "UseAll" when the service uses every server once none is up (panic mode).</summary>
    public const string WhenAllDownMetadata = "ExchangeProxy.WhenAllDown";

    /// <summary>The service a generated cluster serves; null for the operator's own clusters.</summary>
    public static string? ServiceOf(ClusterConfig cluster) =>
        cluster.Metadata is { } metadata && metadata.TryGetValue(ServiceMetadata, out var service) ? service : null;

    public static WhenAllDown WhenAllDownOf(ClusterConfig cluster) =>
        cluster.Metadata is { } metadata && metadata.TryGetValue(WhenAllDownMetadata, out var value)
            && Enum.TryParse<WhenAllDown>(value, out var parsed) ? parsed : WhenAllDown.Refuse;

    public static bool IsWindowsAuth(RouteConfig route) =>
        route.Metadata is { } metadata
        && metadata.TryGetValue(WindowsAuthMetadata, out var value)
        && bool.TryParse(value, out var on) && on;

    /// <param name="authorities">ExchangeProxy:ServerCertificateAuthority, or null for the system's.</param>
    public static ClusterConfig Cluster(ExchangeService service, CertificateAuthorities? authorities) =>
        new()
        {
            ClusterId = IdOf(service),
            LoadBalancingPolicy = service.Balance switch
            {
                BalanceMode.LeastConn => WeightedLeastConnPolicy.PolicyName,
                BalanceMode.SourceHash => SourceHashPolicy.PolicyName,
                _ => WeightedRoundRobinPolicy.PolicyName,
            },
            Destinations = service.Servers.ToDictionary(
                s => s.Name,
                s => new DestinationConfig
                {
                    Address = s.AddressOn(service.ServerPort).AbsoluteUri,
                    Metadata = new Dictionary<string, string> { [DestinationWeight.MetadataKey] = s.Weight.ToString(CultureInfo.InvariantCulture) },
                },
                StringComparer.OrdinalIgnoreCase),
            HttpClient = new HttpClientConfig { DangerousAcceptAnyServerCertificate = service.AcceptAnyServerCertificate },
            SessionAffinity = service.Affinity is { } table
                ? new SessionAffinityConfig
                {
                    Enabled = true,
                    Policy = ClientIpAffinityPolicy.PolicyName,
                    // HAProxy's option redispatch: a client whose server is out is balanced afresh.
                    FailurePolicy = SessionAffinityConstants.FailurePolicies.Redistribute,
                    AffinityKeyName = table.Name,
                }
                : null,
            // The one rule of which servers requests may reach, from HealthStates, where probes and failed
            // connects of live traffic (RetryingHandler) and of layer 4 record their verdicts.
            HealthCheck = new HealthCheckConfig { AvailableDestinationsPolicy = ExchangeAvailableDestinations.PolicyName },
            HttpRequest = new ForwarderRequestConfig
            {
                ActivityTimeout = service.ActivityTimeout,
                // Windows auth is connection-bound and Exchange speaks HTTP/1.1 to load balancers.
                Version = HttpVersion.Version11,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            },
            Metadata = new Dictionary<string, string>
            {
                [ServiceMetadata] = service.Name,
                [ConnectTimeoutMetadata] = service.ConnectTimeout.ToString("c", CultureInfo.InvariantCulture),
                [WhenAllDownMetadata] = service.WhenAllDown.ToString(),
                [CertificateAuthorityMetadata] = authorities?.Path ?? "",
                [RetriesMetadata] = service.Retries.ToString(CultureInfo.InvariantCulture),
                [RedispatchMetadata] = service.Redispatch ? "true" : "false",
            },
        };
}
