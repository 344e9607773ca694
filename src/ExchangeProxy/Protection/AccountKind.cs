namespace ExchangeProxy.Protection;

/// <summary>What account protection counts failures of and locks out.</summary>
public enum AccountKind
{
    /// <summary>A user name, as the sign-in gave it (DOMAIN\user, user@domain, or user).</summary>
    User,

    /// <summary>An ActiveSync device (its DeviceId): a stale phone is refused alone, not its owner's other devices.</summary>
    Device,

    /// <summary>A client address signing in as many users (password spraying).</summary>
    Address,
}
