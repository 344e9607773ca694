using System.Net;

namespace ExchangeProxy.Configuration;

/// <summary>The resolved <see cref="AccountProtectionOptions"/>; see there for each value's meaning and default.</summary>
public sealed record AccountProtectionSettings(
    bool Enabled, int MaxFailures, int MaxFailuresPerAddress, TimeSpan Window, TimeSpan LockoutDuration, IReadOnlyList<IPNetwork> TrustedNetworks)
{
    // Below Active Directory's usual lockout threshold of 10, so the proxy locks first and AD never does.
    public const int DefaultMaxFailures = 5;
    public const int DefaultMaxFailuresPerAddress = 20;
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan DefaultLockoutDuration = TimeSpan.FromMinutes(15);

    public static readonly AccountProtectionSettings Default =
        new(true, DefaultMaxFailures, DefaultMaxFailuresPerAddress, DefaultWindow, DefaultLockoutDuration, []);

    public bool IsTrusted(IPAddress client) => TrustedNetworks.Any(n => n.Contains(client));

    public static AccountProtectionSettings Resolve(AccountProtectionOptions? configured, string key, List<ConfigError> errors)
    {
        if (configured is null)
        {
            return Default;
        }

        var maxFailures = configured.MaxFailures ?? DefaultMaxFailures;
        var perAddress = configured.MaxFailuresPerAddress ?? DefaultMaxFailuresPerAddress;
        var window = configured.Window ?? DefaultWindow;
        var lockout = configured.LockoutDuration ?? DefaultLockoutDuration;
        Require.Positive(maxFailures, $"{key}:MaxFailures", errors);
        Require.Positive(perAddress, $"{key}:MaxFailuresPerAddress", errors);
        Require.Positive(window, $"{key}:Window", errors);
        Require.Positive(lockout, $"{key}:LockoutDuration", errors);
        var trusted = NetworkList.Parse(configured.TrustedNetworks, $"{key}:TrustedNetworks", errors);
        return new AccountProtectionSettings(configured.Enabled != false, maxFailures, perAddress, window, lockout, trusted);
    }
}
