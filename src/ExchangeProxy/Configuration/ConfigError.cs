namespace ExchangeProxy.Configuration;

/// <summary>One thing wrong with the configuration, named by its configuration key.</summary>
public sealed record ConfigError(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}
