namespace ExchangeProxy.Admin;

/// <summary>Everything the stats page shows, as one snapshot: also served as JSON and CSV.</summary>
public sealed record StatsReport(
    DateTimeOffset Now,
    TimeSpan Uptime,
    string ConfigFile,
    DateTimeOffset ConfigLoaded,
    DateTimeOffset? ConfigRejected,
    IReadOnlyList<string> ConfigErrors,
    double RefreshSeconds,
    int PinnedConnections,
    IReadOnlyList<StatsSection> Sections,
    IReadOnlyDictionary<string, long> RefusedAtTheEdge,
    IReadOnlyList<InstanceView> Instances,
    IReadOnlyList<Protection.AccountStatus> Accounts,
    IReadOnlyList<StatsCertificate> Certificates);
