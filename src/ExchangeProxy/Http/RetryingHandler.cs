using ExchangeProxy.Balancing;
using ExchangeProxy.Health;
using ExchangeProxy.Statistics;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// Retries at layer 7, which YARP does not have (dotnet/yarp#56), as HAProxy's <c>retries</c> with
/// <c>option redispatch</c> and layer 4's: a request whose connection to its server failed before any byte of
/// it left (refused, reset or timed out while connecting, TLS handshake failed) goes again, to another server
/// that takes new clients when Redispatch is on, up to Retries times. A request whose headers went out is sent
/// again only when it is a GET, HEAD or OPTIONS without a body and nothing came back; a request with a body
/// never. A failed connect also takes the server out of the pool at once, for both layers, until a probe passes.
/// Pinned Windows-auth connections do not come through here: their sign-in cannot move.
/// </summary>
public sealed partial class RetryingHandler(
    HttpMessageHandler inner, int retries, bool redispatch, ServerStatistics statistics, HealthStates health,
    ServerEligibility eligibility, ILogger logger) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(ForwardAttempt.Key, out var attempt))
        {
            return await base.SendAsync(request, cancellationToken);
        }

        for (var retry = 1; ; retry++)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && Failure(e, request) is { } failure)
            {
                if (failure.ConnectFailed && health.MarkPassiveDown(attempt.Service, attempt.Destination.DestinationId))
                {
                    LogMarkedDown(logger, attempt.Destination.DestinationId, attempt.Service, failure.Reason);
                }

                if (retry > retries)
                {
                    throw;
                }

                Retry(request, attempt, failure.Reason);
            }
        }
    }

    /// <summary>Why the request may go again, and whether the server could not be connected to; null when it may not.</summary>
    private static (string Reason, bool ConnectFailed)? Failure(Exception e, HttpRequestMessage request) => e switch
    {
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError } =>
            (e.InnerException?.Message ?? e.Message, true),
        // SocketsHttpHandler's ConnectTimeout.
        OperationCanceledException { InnerException: TimeoutException } => ("connect timeout", true),
        // SendAsync returns once the response headers arrived: failing before, it gave the client nothing yet.
        HttpRequestException when request.Content is null && Idempotent(request.Method) =>
            (e.InnerException?.Message ?? e.Message, false),
        _ => null,
    };

    private static bool Idempotent(HttpMethod method) => method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options;

    private void Retry(HttpRequestMessage request, ForwardAttempt attempt, string reason)
    {
        var failed = attempt.Destination;
        Interlocked.Increment(ref attempt.Counters.ConnectErrors);
        attempt.Counters.Finish();
        var next = (redispatch ? Another(attempt) : null) ?? failed;
        var counters = statistics.For(ServerStatistics.Http, attempt.Service, next.DestinationId);
        counters.Start();
        Interlocked.Increment(ref counters.Retries);
        if (next != failed)
        {
            Interlocked.Increment(ref counters.Redispatches);
        }

        attempt.MoveTo(next, counters);
        request.RequestUri = Rebase(request.RequestUri!, next);
        LogRetry(logger, request.Method, attempt.Service, failed.DestinationId, next.DestinationId, reason);
    }

    /// <summary>The server that takes new clients with the fewest requests in flight, among those that have not failed this request.</summary>
    private DestinationState? Another(ForwardAttempt attempt)
    {
        DestinationState? best = null;
        foreach (var candidate in attempt.Context.GetReverseProxyFeature().AllDestinations)
        {
            if (candidate != attempt.Destination && !attempt.Failed.Contains(candidate)
                && eligibility.Of(attempt.Service, candidate.DestinationId, DestinationWeight.Of(candidate)).TakesNewClients
                && (best is null || candidate.ConcurrentRequestCount < best.ConcurrentRequestCount))
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>The same path and query, byte for byte, on the other server.</summary>
    private static Uri Rebase(Uri uri, DestinationState destination)
    {
        var server = new Uri(destination.Model.Config.Address);
        return new Uri(server.GetLeftPart(UriPartial.Authority) + uri.PathAndQuery,
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server} is DOWN for {Service}: live traffic could not connect ({Reason}); out until a probe passes")]
    private static partial void LogMarkedDown(ILogger logger, string server, string service, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} for {Service}: {Failed} failed ({Reason}), trying {Next}")]
    private static partial void LogRetry(ILogger logger, HttpMethod method, string service, string failed, string next, string reason);
}
