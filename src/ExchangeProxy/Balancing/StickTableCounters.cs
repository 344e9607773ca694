namespace ExchangeProxy.Balancing;

public readonly record struct StickTableCounters(long Hits, long Misses, long Redispatches, long Evictions, long Expirations);
