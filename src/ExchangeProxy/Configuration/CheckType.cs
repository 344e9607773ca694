namespace ExchangeProxy.Configuration;

public enum CheckType
{
    /// <summary>HTTPS GET of the path, expecting 200 (Exchange's healthcheck.htm).</summary>
    Http,

    /// <summary>A TLS handshake completes (HAProxy's ssl-hello-chk, but a whole handshake).</summary>
    TlsHello,

    /// <summary>220 banner, EHLO answered with 250, QUIT.</summary>
    Smtp,

    /// <summary>A TCP connection opens.</summary>
    Tcp,

    /// <summary>No probing: the server counts as up unless passive health or maintenance says otherwise.</summary>
    None,
}
