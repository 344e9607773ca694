namespace ExchangeProxy.Configuration;

/// <summary>At most <paramref name="PermitLimit"/> events per client address in each <paramref name="Window"/>.</summary>
public sealed record RateLimit(int PermitLimit, TimeSpan Window)
{
    public static RateLimit? Resolve(RateLimitOptions? configured, string key, List<ConfigError> errors)
    {
        if (configured is null)
        {
            return null;
        }

        var limit = configured.PermitLimit ?? 0;
        var window = configured.Window ?? TimeSpan.FromMinutes(1);
        var limitPasses = Require.Positive(limit, $"{key}:PermitLimit", errors);
        var windowPasses = Require.Positive(window, $"{key}:Window", errors);
        return limitPasses && windowPasses ? new RateLimit(limit, window) : null;
    }
}
