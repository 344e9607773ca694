namespace ExchangeProxy.Configuration;

public sealed record BackendServer(string Name, Uri Address, int Weight);
