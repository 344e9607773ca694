namespace ExchangeProxy.Configuration;

/// <summary>How each server of a service is probed (HAProxy's <c>check inter rise fall</c> and <c>timeout check</c>).</summary>
public sealed class CheckOptions
{
    public CheckType? Type { get; set; }

    /// <summary>For Http checks: the path asked for, expecting 200. Default: the service path + /healthcheck.htm.</summary>
    public string? Path { get; set; }

    /// <summary>For Tcp, TlsHello and Smtp checks: the port; default the port of the server's address.</summary>
    public int? Port { get; set; }

    public TimeSpan? Interval { get; set; }

    public TimeSpan? Timeout { get; set; }

    /// <summary>Consecutive good checks that bring a DOWN server back.</summary>
    public int? Rise { get; set; }

    /// <summary>Consecutive failed checks that take an UP server out.</summary>
    public int? Fall { get; set; }
}

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

/// <summary>What a service does when none of its servers is up.</summary>
public enum WhenAllDown
{
    /// <summary>Answer 503 at once, without trying dead servers.</summary>
    Refuse,

    /// <summary>Try every server anyway (panic mode), as if all were up.</summary>
    UseAll,
}
