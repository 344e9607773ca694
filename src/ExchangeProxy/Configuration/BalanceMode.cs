namespace ExchangeProxy.Configuration;

/// <summary>How a service picks a server for a new request; the names follow HAProxy's <c>balance</c>.</summary>
public enum BalanceMode
{
    RoundRobin,
    LeastConn,
}
