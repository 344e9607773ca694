using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using ExchangeProxy.Statistics;

namespace ExchangeProxy.Tcp;

/// <summary>
/// Chooses the server of a layer-4 pool for a connection, by the rules both layers share: a client stuck to a
/// server that serves bound clients goes back to it (<see cref="StickTables.FindStuckAsync"/>); otherwise the
/// pool's balance picks among the servers that take new clients (<see cref="ServerCondition"/>), and the stick
/// table learns the choice once the connection is made.
/// </summary>
public sealed class TcpServerSelector(ServerEligibility eligibility, StickTables tables, ServerStatistics statistics)
{
    private static readonly Func<BackendServer, string> NameOf = static s => s.Name;

    private readonly ConcurrentDictionary<string, PoolState> _pools = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The client's stuck server when it may still take it; null when it has none (or it could not: a redispatch).</summary>
    public async ValueTask<BackendServer?> StuckServerAsync(TcpService pool, IPAddress client, CancellationToken cancellationToken)
    {
        if (pool.Affinity is null || tables.Find(pool.Affinity.Name) is not { } table)
        {
            return null;
        }

        var eligible = pool.Servers.Where(s => eligibility.Of(pool, s).ServesBoundClients).ToList();
        return (await tables.FindStuckAsync(table, table.KeyOf(client), eligible, NameOf, cancellationToken)).Server;
    }

    /// <summary>A server for a new client, other than those in <paramref name="exclude"/>; null when none is left.</summary>
    public BackendServer? Balance(TcpService pool, IPAddress client, IReadOnlyCollection<BackendServer> exclude)
    {
        var candidates = pool.Servers.Where(s => !exclude.Contains(s) && eligibility.Of(pool, s).TakesNewClients).ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var state = _pools.GetOrAdd(pool.Name, static _ => new PoolState());
        return pool.Balance switch
        {
            BalanceMode.LeastConn => Weighted.LeastLoaded(candidates, s => eligibility.WeightOf(pool, s),
                s => Volatile.Read(ref statistics.For(ServerStatistics.Tcp, pool.Name, s.Name).Active), Interlocked.Increment(ref state.Rotation)),
            BalanceMode.SourceHash => Weighted.ByHash(candidates, s => eligibility.WeightOf(pool, s), NameOf, client),
            _ => RoundRobin(state, candidates, s => eligibility.WeightOf(pool, s)),
        };
    }

    /// <summary>Remembers the client's server once the connection to it is made.</summary>
    public void Stick(TcpService pool, IPAddress client, BackendServer server)
    {
        if (pool.Affinity is not null && tables.Find(pool.Affinity.Name) is { } table)
        {
            tables.Stick(table, table.KeyOf(client), server.Name);
        }
    }

    private static BackendServer? RoundRobin(PoolState state, List<BackendServer> candidates, Func<BackendServer, int> weightOf)
    {
        lock (state.Gate)
        {
            return Weighted.RoundRobin(candidates, state, weightOf,
                static (server, pool) => pool.Current.GetValue(server, static _ => new StrongBox<long>()));
        }
    }

    private sealed class PoolState
    {
        public readonly Lock Gate = new();
        public readonly ConditionalWeakTable<BackendServer, StrongBox<long>> Current = [];
        public int Rotation;
    }
}
