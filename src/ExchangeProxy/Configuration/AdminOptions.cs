namespace ExchangeProxy.Configuration;

/// <summary>The admin listener: the maintenance API, detailed health (and later the stats page and metrics).</summary>
public sealed class AdminOptions
{
    /// <summary>http://address:port; loopback by default, as the seed's stats listener. Empty: no admin listener.</summary>
    public string? Url { get; set; }

    /// <summary>SHA-256 (hex) of the API key that callers send as X-Api-Key or "Authorization: Bearer". Required off loopback.</summary>
    public string? ApiKeySha256 { get; set; }

    /// <summary>Where drain/maint states are kept across restarts. Default: exchangeproxy.state.json beside the config file.</summary>
    public string? StateFile { get; set; }

    /// <summary>People who sign in to the stats page (basic auth), with password hashes from --hash-password.</summary>
    public List<AdminUserOptions> Users { get; set; } = [];

    /// <summary>How often the stats page refreshes itself; 00:00:00 switches it off.</summary>
    public TimeSpan? StatsRefresh { get; set; }
}
