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

        if (configured.Port is { } port)
        {
            Require.InRange(port, 1, 65535, $"{key}:Port", errors);
        }

        var interval = configured.Interval ?? CheckSettings.DefaultInterval;
        var timeout = configured.Timeout ?? CheckSettings.DefaultTimeout;
        Require.Positive(interval, $"{key}:Interval", errors);
        Require.Positive(timeout, $"{key}:Timeout", errors);

        var rise = configured.Rise ?? CheckSettings.DefaultRise;
        var fall = configured.Fall ?? CheckSettings.DefaultFall;
        Require.InRange(rise, 1, 100, $"{key}:Rise", errors);
        Require.InRange(fall, 1, 100, $"{key}:Fall", errors);

        return new CheckSettings(type, path, configured.Port, interval, timeout, rise, fall);
    }
}
