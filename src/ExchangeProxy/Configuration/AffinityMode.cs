namespace ExchangeProxy.Configuration;

public enum AffinityMode
{
    None,
    ClientIp,
}
