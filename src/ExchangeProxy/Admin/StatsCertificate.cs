namespace ExchangeProxy.Admin;

/// <summary>A certificate on the stats page: the listener's or a CAS server's, with its expiry.</summary>
/// <param name="Kind">"listener" or "server".</param>
/// <param name="Name">The listener's endpoint, or the server's name.</param>
/// <param name="Due">Expired, or expiring within 30 days: the page shows it as a warning.</param>
/// <param name="Description">What /health says of it: whose, which, and when it expires.</param>
public sealed record StatsCertificate(
    string Kind,
    string Name,
    string Subject,
    string Thumbprint,
    DateTimeOffset NotAfter,
    int DaysLeft,
    bool Due,
    string Description);
