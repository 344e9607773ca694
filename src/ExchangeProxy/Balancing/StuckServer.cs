namespace ExchangeProxy.Balancing;

/// <summary>What a stick table says of a client: its server, or none (no entry, or its server could not take it: a redispatch).</summary>
public readonly record struct StuckServer<T>(T? Server, bool Redispatched)
    where T : class;
