namespace ExchangeProxy.Configuration;

/// <summary>One CAS server: <c>{ "Name": "exchange1", "Address": "192.168.200.100", "Weight": 1 }</c>.</summary>
public sealed class ServerOptions
{
    public string Name { get; set; } = "";

    /// <summary>A host name or IP (HTTPS on 443), <c>host:port</c>, or a full <c>https://host:port</c> URL.</summary>
    public string Address { get; set; } = "";

    /// <summary>Relative share of new requests, 0 to 256 as in HAProxy; 0 takes no new traffic.</summary>
    public int Weight { get; set; } = 1;
}
