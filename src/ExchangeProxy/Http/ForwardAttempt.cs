using ExchangeProxy.Statistics;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// One request of a generated service on its way to a server, as a feature of the request and an option of the
/// message YARP sends: which server it is going to now, whose counters carry it, and which servers failed it.
/// <see cref="RetryingHandler"/> moves it to another server when a connection fails.
/// </summary>
public sealed class ForwardAttempt(HttpContext context, string service, DestinationState destination, ServerCounters counters)
{
    public static readonly HttpRequestOptionsKey<ForwardAttempt> Key = new("ExchangeProxy.ForwardAttempt");

    // Most requests never fail over: the list is made on the first failure, not for every request.
    private List<DestinationState>? _failed;

    public HttpContext Context { get; } = context;

    public string Service { get; } = service;

    public DestinationState Destination { get; private set; } = destination;

    public ServerCounters Counters { get; private set; } = counters;

    public IReadOnlyList<DestinationState> Failed => (IReadOnlyList<DestinationState>?)_failed ?? [];

    /// <summary>The request goes to <paramref name="next"/> now; the response, the log and affinity will name it.</summary>
    public void MoveTo(DestinationState next, ServerCounters counters)
    {
        (_failed ??= []).Add(Destination);
        Destination = next;
        Counters = counters;
        Context.GetReverseProxyFeature().ProxiedDestination = next;
    }
}
