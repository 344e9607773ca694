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
