namespace ExchangeProxy.Configuration;

/// <summary>How a service or a layer-4 pool picks a server for a new client; the names follow HAProxy's <c>balance</c>.</summary>
public enum BalanceMode
{
    /// <summary>Smooth weighted round robin.</summary>
    RoundRobin,

    /// <summary>The fewest requests or connections in flight per weight.</summary>
    LeastConn,

    /// <summary>A hash of the client address picks the server (HAProxy <c>balance source</c>).</summary>
    SourceHash,
}
