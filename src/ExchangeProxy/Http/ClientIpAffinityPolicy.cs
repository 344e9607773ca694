using ExchangeProxy.Balancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.SessionAffinity;

namespace ExchangeProxy.Http;

/// <summary>
/// YARP session affinity by client address (HAProxy's <c>stick on src</c>): the cluster's affinity key names
/// its stick table; the key is the client address as the proxy trusts it (the socket peer, or X-Forwarded-For
/// from a trusted proxy network, resolved before this runs). A client whose server is not available to this
/// request (down, out of the service) is counted as a redispatch and, with the Redistribute failure policy,
/// balanced afresh; the response then sticks it to its new server.
/// </summary>
public sealed class ClientIpAffinityPolicy(StickTables tables) : ISessionAffinityPolicy
{
    public const string PolicyName = "ExchangeProxy.ClientIp";

    public string Name => PolicyName;

    public async ValueTask<AffinityResult> FindAffinitizedDestinationsAsync(HttpContext context, ClusterState cluster,
        SessionAffinityConfig config, IReadOnlyList<DestinationState> destinations, CancellationToken cancellationToken)
    {
        if (!TryKey(context, config, out var table, out var key))
        {
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        return Sticky(context, Match(table, await tables.FindServerAsync(table, key, cancellationToken), destinations));
    }

    public AffinityResult FindAffinitizedDestinations(HttpContext context, ClusterState cluster,
        SessionAffinityConfig config, IReadOnlyList<DestinationState> destinations)
    {
        if (!TryKey(context, config, out var table, out var key))
        {
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        return Sticky(context, Match(table, table.TryGet(key, out var server) ? server : null, destinations));
    }

    public void AffinitizeResponse(HttpContext context, ClusterState cluster, SessionAffinityConfig config, DestinationState destination)
    {
        if (TryKey(context, config, out var table, out var key))
        {
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

    private static AffinityResult Sticky(HttpContext context, AffinityResult result)
    {
        if (result.Status == AffinityStatus.OK)
        {
            StickyRequest.Mark(context);
        }

        return result;
    }

    private static AffinityResult Match(StickTable table, string? server, IReadOnlyList<DestinationState> destinations)
    {
        if (server is null)
        {
            return new AffinityResult(null, AffinityStatus.AffinityKeyNotSet);
        }

        foreach (var destination in destinations)
        {
            if (string.Equals(destination.DestinationId, server, StringComparison.OrdinalIgnoreCase))
            {
                return new AffinityResult([destination], AffinityStatus.OK);
            }
        }

        table.CountRedispatch();
        return new AffinityResult(null, AffinityStatus.DestinationNotFound);
    }
}
