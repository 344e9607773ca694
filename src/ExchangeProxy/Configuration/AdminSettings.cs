namespace ExchangeProxy.Configuration;

/// <param name="Url">The admin listener, or null for none.</param>
/// <param name="ApiKeySha256">The API key's hash, or null when callers need none (loopback only).</param>
/// <param name="StateFile">Null: beside the configuration file.</param>
/// <param name="Users">Name to password hash, for basic auth.</param>
public sealed record AdminSettings(Uri? Url, byte[]? ApiKeySha256, string? StateFile, IReadOnlyDictionary<string, string> Users, TimeSpan StatsRefresh)
{
    public static readonly TimeSpan DefaultStatsRefresh = TimeSpan.FromSeconds(5);

    /// <summary>Callers must prove who they are (key or user): anyone who reaches the listener otherwise.</summary>
    public bool RequiresCredentials => ApiKeySha256 is not null || Users.Count > 0;

    public const string DefaultUrl = "http://127.0.0.1:4711";
    public const string StateFileName = "exchangeproxy.state.json";
}
