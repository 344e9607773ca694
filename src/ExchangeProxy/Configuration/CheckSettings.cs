namespace ExchangeProxy.Configuration;

/// <summary>A service's probe, with every default resolved.</summary>
public sealed record CheckSettings(CheckType Type, string Path, int? Port, TimeSpan Interval, TimeSpan Timeout, int Rise, int Fall)
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    public const int DefaultRise = 2;
    public const int DefaultFall = 3;
}
