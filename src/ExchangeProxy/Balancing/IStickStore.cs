namespace ExchangeProxy.Balancing;

/// <summary>
/// Where stick table entries are shared between proxy instances. The local table stays the fast path: the
/// store is asked only on a local miss and told only of new, moved or ageing entries, and an unreachable
/// store answers "unknown" rather than holding traffic up.
/// </summary>
public interface IStickStore
{
    /// <summary>The server another instance stuck the client to, or null (unknown, or the store is unreachable).</summary>
    ValueTask<string?> FindAsync(string table, ClientKey key, CancellationToken cancellationToken);

    /// <summary>Tells the other instances, without waiting; the entry expires in the store after <paramref name="expire"/>.</summary>
    void Announce(string table, ClientKey key, string server, TimeSpan expire);

    StickStoreCounters Counters { get; }
}
