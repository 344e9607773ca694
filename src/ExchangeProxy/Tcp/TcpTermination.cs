namespace ExchangeProxy.Tcp;

/// <summary>Why a layer-4 connection ended, as its log line says (HAProxy's termination state).</summary>
public enum TcpTermination
{
    ClientClosed,
    ServerClosed,
    ClientTimeout,
    ServerTimeout,
    ConnectFailed,
    NoServer,
    ClientError,
    ServerError,
    Refused,
    ProxyHeaderInvalid,
    ProxyNotTrusted,
    NotAllowed,
    Shutdown,

    /// <summary>The operator closed the server's sessions (HAProxy's <c>shutdown sessions server</c>).</summary>
    Killed,
}
