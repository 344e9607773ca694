namespace ExchangeProxy.Configuration;

/// <summary>Resolves the probe of each service and listener.</summary>
public static class CheckResolution
{
    public static CheckSettings Resolve(string servicePath, CheckOptions? configured, string key, List<ConfigError> errors)
    {
        configured ??= new CheckOptions();
        key += ":Check";
        var type = configured.Type ?? CheckType.Http;
        var path = configured.Path ?? servicePath + "/healthcheck.htm";
        // A derived path is as good as the service's own, which is checked (and reported) on its own.
        if (configured.Path is not null && (!path.StartsWith('/') || path.Any(char.IsWhiteSpace)))
        {
            errors.Add(new ConfigError($"{key}:Path", $"'{path}' is not an absolute path like /owa/healthcheck.htm"));
        }

        if (configured.Port is < 1 or > 65535)
        {
            errors.Add(new ConfigError($"{key}:Port", $"{configured.Port} is outside 1..65535"));
        }

        var interval = configured.Interval ?? CheckSettings.DefaultInterval;
        var timeout = configured.Timeout ?? CheckSettings.DefaultTimeout;
        foreach (var (name, value) in new[] { ("Interval", interval), ("Timeout", timeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add(new ConfigError($"{key}:{name}", $"{value} is not a positive duration (hh:mm:ss)"));
            }
        }

        var rise = configured.Rise ?? CheckSettings.DefaultRise;
        var fall = configured.Fall ?? CheckSettings.DefaultFall;
        foreach (var (name, value) in new[] { ("Rise", rise), ("Fall", fall) })
        {
            if (value is < 1 or > 100)
            {
                errors.Add(new ConfigError($"{key}:{name}", $"{value} is outside 1..100"));
            }
        }

        return new CheckSettings(type, path, configured.Port, interval, timeout, rise, fall);
    }
}
