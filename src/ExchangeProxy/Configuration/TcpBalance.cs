namespace ExchangeProxy.Configuration;

public enum TcpBalance
{
    RoundRobin,
    LeastConn,

    /// <summary>A hash of the client address picks the server (HAProxy <c>balance source</c>).</summary>
    SourceHash,
}
