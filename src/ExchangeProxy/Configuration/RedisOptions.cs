namespace ExchangeProxy.Configuration;

/// <summary>A Redis that several proxy instances share their stick tables through (HAProxy's <c>peers</c>).</summary>
public sealed class RedisOptions
{
    /// <summary>StackExchange.Redis configuration string, e.g. "redis1:6379,password=...,ssl=true". Unset: tables stay local.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key the proxy writes, so one Redis can serve several proxy farms.</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>How long a request waits for Redis on a table miss before it goes on without it.</summary>
    public TimeSpan? Timeout { get; set; }
}
