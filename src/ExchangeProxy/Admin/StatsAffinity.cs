namespace ExchangeProxy.Admin;

public sealed record StatsAffinity(string Table, int Entries, long Hits, long Misses, long Redispatches);
