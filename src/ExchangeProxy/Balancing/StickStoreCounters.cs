namespace ExchangeProxy.Balancing;

public readonly record struct StickStoreCounters(long Hits, long Misses, long Errors, bool Reachable);
