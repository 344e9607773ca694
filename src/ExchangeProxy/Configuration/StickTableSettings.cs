namespace ExchangeProxy.Configuration;

/// <summary>What a stick table is: its name, bound, sliding expiry, and how much of a client address makes a key.</summary>
public sealed record StickTableSettings(string Name, int Size, TimeSpan Expire, int IPv4Prefix, int IPv6Prefix)
{
    public const int DefaultSize = 20_000;
    public const int MaxSize = 10_000_000;
    public static readonly TimeSpan DefaultExpire = TimeSpan.FromMinutes(15);
}
