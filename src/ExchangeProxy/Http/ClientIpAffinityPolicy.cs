using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace ExchangeProxy.Http;

/// <summary>
/// YARP session affinity by client address (HAProxy's <c>stick on src</c>): the cluster's affinity key names
/// its stick table; the key is the client address as the proxy trusts it (the socket peer, or X-Forwarded-For
/// from a trusted proxy network, resolved before this runs). The choice itself is the stick tables' (see
/// <see cref="StickTables.FindStuckAsync"/>), among the destinations that serve bound clients; with the
/// Redistribute failure policy a redispatched client is balanced afresh, and the response sticks it to its new server.
/// </summary>
public sealed class ClientIpAffinityPolicy(StickTables tables) : ISessionAffinityPolicy
{
    public const string PolicyName = "ExchangeProxy.ClientIp";

    private static readonly Func<DestinationState, string> IdOf = static d => d.DestinationId;

    public string Name => PolicyName;

    public async ValueTask<AffinityResult> FindAffinitizedDestinationsAsync(HttpContext context, ClusterState cluster,
        SessionAffinityConfig config, IReadOnlyList<DestinationState> destinations, CancellationToken cancellationToken) =>
        TryKey(context, config, out var table, out var key)
            ? Result(context, await tables.FindStuckAsync(table, key, destinations, IdOf, cancellationToken))
            : new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);

    public AffinityResult FindAffinitizedDestinations(HttpContext context, ClusterState cluster,
        SessionAffinityConfig config, IReadOnlyList<DestinationState> destinations) =>
        TryKey(context, config, out var table, out var key)
            ? Result(context, tables.FindStuck(table, key, destinations, IdOf))
            : new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);

    public void AffinitizeResponse(HttpContext context, ClusterState cluster, SessionAffinityConfig config, DestinationState destination)
    {
        if (TryKey(context, config, out var table, out var key))
        {
            // A sticky request that a failed connect moved to another server: its client was redispatched.
            if (StickyRequest.Is(context) && context.Features.Get<ForwardAttempt>()?.Failed.Count > 0)
            {
                table.CountRedispatch();
            }

            tables.Stick(table, key, destination.DestinationId);
        }
    }

    public ValueTask AffinitizeResponseAsync(HttpContext context, ClusterState cluster, SessionAffinityConfig config,
        DestinationState destination, CancellationToken cancellationToken)
    {
        AffinitizeResponse(context, cluster, config, destination);
        return ValueTask.CompletedTask;
    }

    private bool TryKey(HttpContext context, SessionAffinityConfig config, out StickTable table, out ClientKey key)
    {
        if (context.Connection.RemoteIpAddress is { } client && tables.Find(config.AffinityKeyName) is { } found)
        {
            table = found;
            key = found.KeyOf(client);
            return true;
        }

        table = null!;
        key = default;
        return false;
    }

    private static AffinityResult Result(HttpContext context, StuckServer<DestinationState> stuck)
    {
        if (stuck.Server is { } server)
        {
            // A sticky client still reaches a draining server (see NewClientsOnly).
            StickyRequest.Mark(context);
            return new AffinityResult([server], AffinityStatus.OK);
        }

        return new AffinityResult(null, stuck.Redispatched ? AffinityStatus.DestinationNotFound : AffinityStatus.AffinityKeyNotSet);
    }
}
