namespace ExchangeProxy.Configuration;

/// <summary>Where stick table entries are shared between proxy instances (a Redis).</summary>
public sealed record StickStoreSettings(string Configuration, string KeyPrefix, TimeSpan Timeout)
{
    public const string DefaultKeyPrefix = "exchangeproxy";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(250);
}
