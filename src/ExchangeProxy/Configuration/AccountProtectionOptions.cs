namespace ExchangeProxy.Configuration;

/// <summary>Soft lockouts at the proxy, below Active Directory's own (<c>ExchangeProxy:Protection:Accounts</c>).</summary>
public sealed class AccountProtectionOptions
{
    /// <summary>On unless false.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Failed sign-ins of one user (or one ActiveSync device) within <see cref="Window"/> that lock it out: 5.</summary>
    public int? MaxFailures { get; set; }

    /// <summary>Failed sign-ins from one client address, whatever the users, within <see cref="Window"/> that block it (password spraying): 20.</summary>
    public int? MaxFailuresPerAddress { get; set; }

    /// <summary>The sliding window failures are counted in: 15 minutes.</summary>
    public TimeSpan? Window { get; set; }

    /// <summary>How long a lockout lasts: 15 minutes.</summary>
    public TimeSpan? LockoutDuration { get; set; }

    /// <summary>Networks (CIDR) whose clients are never locked out and whose failures do not count: the inside.</summary>
    public List<string> TrustedNetworks { get; set; } = [];
}
