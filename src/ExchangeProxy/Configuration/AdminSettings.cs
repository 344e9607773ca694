namespace ExchangeProxy.Configuration;

/// <param name="Url">The admin listener, or null for none.</param>
/// <param name="ApiKeySha256">The API key's hash, or null when callers need none (loopback only).</param>
/// <param name="StateFile">Null: beside the configuration file.</param>
public sealed record AdminSettings(Uri? Url, byte[]? ApiKeySha256, string? StateFile)
{
    public const string DefaultUrl = "http://127.0.0.1:4711";
    public const string StateFileName = "exchangeproxy.state.json";
}
