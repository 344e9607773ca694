using ExchangeProxy.Configuration;

namespace ExchangeProxy.Hosting;

/// <summary>The configuration at start is unusable; the proxy must not serve with it.</summary>
public sealed class ConfigurationRejectedException(string path, IReadOnlyList<ConfigError> errors)
    : Exception($"{path}: {string.Join("; ", errors)}")
{
    public string Path { get; } = path;

    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
