namespace ExchangeProxy.Configuration;

public enum ProxyProtocolVersion
{
    None,
    V1,
    V2,
}
