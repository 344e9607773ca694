using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Statistics;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace ExchangeProxy.Http;

/// <summary>
/// The connections to the CAS servers: YARP's pooled client per cluster, with the settings YARP's cluster config
/// has no key for, and the dedicated single-connection clients that Windows auth pinning needs.
/// </summary>
public sealed class BackendHttpClientFactory(
    ILogger<ForwarderHttpClientFactory> logger, ServerStatistics statistics, HealthStates health, ServerEligibility eligibility)
    : ForwarderHttpClientFactory(logger)
{
    private readonly ILogger _logger = logger;

    /// <summary>
    /// <c>Expect: 100-continue</c> waits for the server's verdict (see <see cref="ExpectContinueContent"/>); a generated
    /// cluster's pooled client retries failed connects (see <see cref="RetryingHandler"/>).
    /// </summary>
    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        handler = new ExpectContinueHandler(handler);
        return context.NewMetadata is { } metadata
            && metadata.TryGetValue(YarpModel.RetriesMetadata, out var text)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var retries)
                ? new RetryingHandler(handler, retries, metadata.GetValueOrDefault(YarpModel.RedispatchMetadata) == "true",
                    statistics, health, eligibility, _logger)
                : handler;
    }

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.PlaintextStreamFilter = static (filter, _) =>
            ValueTask.FromResult<Stream>(filter.NegotiatedHttpVersion.Major == 1 ? new ExpectContinueStream(filter.PlaintextStream) : filter.PlaintextStream);
        if (context.NewMetadata is not { } metadata)
        {
            return;
        }

        if (metadata.TryGetValue(YarpModel.ConnectTimeoutMetadata, out var text)
            && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var timeout))
        {
            handler.ConnectTimeout = timeout;
        }

        // The name checked is the Host the client asked for, which YARP forwards: the namespace, as probes check it.
        if (context.NewConfig.DangerousAcceptAnyServerCertificate != true
            && metadata.TryGetValue(YarpModel.CertificateAuthorityMetadata, out var path)
            && CertificateAuthorities.Load(path, out _) is { } authorities)
        {
            handler.SslOptions.CertificateChainPolicy = authorities.ChainPolicy();
        }
    }

    /// <summary>YARP compares only the HttpClient settings; the metadata read above counts too.</summary>
    protected override bool CanReuseOldClient(ForwarderHttpClientContext context) =>
        base.CanReuseOldClient(context)
        && Same(context.OldMetadata, context.NewMetadata, YarpModel.ConnectTimeoutMetadata)
        && Same(context.OldMetadata, context.NewMetadata, YarpModel.CertificateAuthorityMetadata)
        && Same(context.OldMetadata, context.NewMetadata, YarpModel.RetriesMetadata)
        && Same(context.OldMetadata, context.NewMetadata, YarpModel.RedispatchMetadata);

    private static bool Same(IReadOnlyDictionary<string, string>? old, IReadOnlyDictionary<string, string>? @new, string key) =>
        string.Equals(old?.GetValueOrDefault(key), @new?.GetValueOrDefault(key), StringComparison.Ordinal);

    /// <summary>
    /// A client that holds at most one connection, for one client connection only: configured like the
    /// cluster's pooled client, but never idles out, and tells <paramref name="events"/> of each new connection
    /// and each response so a lost connection can be noticed.
    /// </summary>
    public HttpMessageInvoker CreateDedicatedClient(string clusterId, ClusterConfig cluster, IDedicatedConnectionEvents events)
    {
        // The same starting point as ForwarderHttpClientFactory.CreateClient, which offers no way to reach its handler.
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        ConfigureHandler(new ForwarderHttpClientContext
        {
            ClusterId = clusterId,
            OldConfig = HttpClientConfig.Empty,
            OldMetadata = null,
            OldClient = null,
            NewConfig = cluster.HttpClient ?? HttpClientConfig.Empty,
            NewMetadata = cluster.Metadata,
        }, handler);

        // HTTP/1.1 and one connection: requests queue behind each other, as they do on the client connection.
        handler.MaxConnectionsPerServer = 1;
        // It lives exactly as long as the client connection it serves.
        handler.PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan;
        handler.PooledConnectionLifetime = Timeout.InfiniteTimeSpan;
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            events.Connected();
            return new NetworkStream(socket, ownsSocket: true);
        };
        return new HttpMessageInvoker(new DedicatedConnectionHandler(new ExpectContinueHandler(handler), events), disposeHandler: true);
    }

    private sealed class DedicatedConnectionHandler(HttpMessageHandler inner, IDedicatedConnectionEvents events) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            events.Answered(response);
            return response;
        }
    }
}
