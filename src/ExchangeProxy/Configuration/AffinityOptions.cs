namespace ExchangeProxy.Configuration;

/// <summary>How a service keeps a client on one server (HAProxy's <c>stick-table type ip</c> + <c>stick on src</c>).</summary>
public sealed class AffinityOptions
{
    public AffinityMode? Mode { get; set; }

    /// <summary>Stick table name; services naming the same table share their clients' servers. Default: the service name.</summary>
    public string? Table { get; set; }

    /// <summary>Most clients remembered; when full, the least recently seen one is forgotten.</summary>
    public int? Size { get; set; }

    /// <summary>A client is forgotten this long after its last request.</summary>
    public TimeSpan? Expire { get; set; }

    /// <summary>Leading bits of an IPv4 client address that make its key (24 keeps a /24 together).</summary>
    public int? IPv4Prefix { get; set; }

    /// <summary>Leading bits of an IPv6 client address that make its key (64 keeps privacy addresses together).</summary>
    public int? IPv6Prefix { get; set; }
}
