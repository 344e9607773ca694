namespace ExchangeProxy.Configuration;

public sealed class RateLimitOptions
{
    public int? PermitLimit { get; set; }

    public TimeSpan? Window { get; set; }
}
