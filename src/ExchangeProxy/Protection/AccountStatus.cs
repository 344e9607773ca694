namespace ExchangeProxy.Protection;

/// <summary>One counted user, device or address, as the stats page and the admin API show it.</summary>
/// <param name="Failures">Failed sign-ins within the window.</param>
/// <param name="LockedUntil">Until when it is refused; null when it is not.</param>
/// <param name="Addresses">Client addresses its failures came from (the first few).</param>
/// <param name="Users">For a device or an address: the users it failed to sign in as (the first few).</param>
public sealed record AccountStatus(
    AccountKind Kind, string Name, int Failures, DateTimeOffset? LockedUntil, DateTimeOffset LastFailure,
    IReadOnlyList<string> Addresses, IReadOnlyList<string> Users);
