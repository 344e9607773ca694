using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using ExchangeProxy.Admin;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;

namespace ExchangeProxy.Tcp;

/// <summary>
/// Chooses the server of a layer-4 pool for a connection, with the same rules as layer 7: a client stuck to
/// a usable server (UP or unprobed, not in maintenance; draining is fine) goes back to it; otherwise the
/// pool's balance picks among the servers that take new clients, and the stick table learns the choice once
/// the connection is made. A stuck server that is not usable counts as a redispatch.
/// </summary>
public sealed class TcpServerSelector(HealthStates health, MaintenanceStates maintenance, StickTables tables, TcpStatistics statistics)
{
    private readonly ConcurrentDictionary<string, PoolState> _pools = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The client's stuck server when it is usable; null when it has none (or it was not usable: a redispatch).</summary>
    public async ValueTask<BackendServer?> StuckServerAsync(TcpService pool, IPAddress client, CancellationToken cancellationToken)
    {
        if (pool.Affinity is null || tables.Find(pool.Affinity.Name) is not { } table)
        {
            return null;
        }

        var name = await tables.FindServerAsync(table, table.KeyOf(client), cancellationToken);
        if (name is null)
        {
            return null;
        }

        var server = pool.Servers.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        if (server is not null && Usable(pool, server))
        {
            return server;
        }

        table.CountRedispatch();
        return null;
    }

    /// <summary>A server for a new client, other than those in <paramref name="exclude"/>; null when none is left.</summary>
    public BackendServer? Balance(TcpService pool, IPAddress client, IReadOnlyCollection<BackendServer> exclude)
    {
        var candidates = pool.Servers
            .Where(s => !exclude.Contains(s) && Usable(pool, s) && maintenance.For(pool.Name, s.Name) != AdminState.Drain)
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }

        var state = _pools.GetOrAdd(pool.Name, static _ => new PoolState());
        return pool.Balance switch
        {
            BalanceMode.LeastConn => Weighted.LeastLoaded(candidates, static s => s.Weight,
                s => Volatile.Read(ref statistics.For(pool.Name, s.Name).Active), Interlocked.Increment(ref state.Rotation)),
            BalanceMode.SourceHash => Weighted.ByHash(candidates, static s => s.Weight, static s => s.Name, client),
            _ => RoundRobin(state, candidates),
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

    private bool Usable(TcpService pool, BackendServer server) =>
        health.Find(pool.Name, server.Name)?.State != ProbeState.Down && maintenance.For(pool.Name, server.Name) != AdminState.Maint;

    private static BackendServer? RoundRobin(PoolState state, List<BackendServer> candidates)
    {
        lock (state.Gate)
        {
            return Weighted.RoundRobin(candidates, state, static s => s.Weight,
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
