namespace ExchangeProxy.Configuration;

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
        if (limit < 1)
        {
            errors.Add(new ConfigError($"{key}:PermitLimit", $"{limit} is not a positive number"));
        }

        if (window <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError($"{key}:Window", $"{window} is not a positive duration (hh:mm:ss)"));
        }

        return limit < 1 || window <= TimeSpan.Zero ? null : new RateLimit(limit, window);
    }
}
