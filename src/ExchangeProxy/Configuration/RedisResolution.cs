using StackExchange.Redis;

namespace ExchangeProxy.Configuration;

/// <summary>Resolves the optional Redis through which proxy instances share their stick tables.</summary>
public static class RedisResolution
{
    public static StickStoreSettings? Resolve(RedisOptions? configured, List<ConfigError> errors)
    {
        if (configured is null || string.IsNullOrWhiteSpace(configured.Configuration))
        {
            return null;
        }

        var key = $"{ExchangeProxyOptions.SectionName}:Redis";
        var errorCount = errors.Count;
        try
        {
            ConfigurationOptions.Parse(configured.Configuration);
        }
        catch (ArgumentException e)
        {
            errors.Add(new ConfigError($"{key}:Configuration", $"not a StackExchange.Redis configuration string: {e.Message}"));
        }

        var prefix = configured.KeyPrefix ?? StickStoreSettings.DefaultKeyPrefix;
        if (prefix.Length == 0 || prefix.Any(char.IsWhiteSpace))
        {
            errors.Add(new ConfigError($"{key}:KeyPrefix", $"'{prefix}' is empty or has spaces"));
        }

        var timeout = configured.Timeout ?? StickStoreSettings.DefaultTimeout;
        Require.Positive(timeout, $"{key}:Timeout", errors);

        return errors.Count > errorCount ? null : new StickStoreSettings(configured.Configuration, prefix, timeout);
    }
}
