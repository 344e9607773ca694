namespace ExchangeProxy.Configuration;

/// <summary>The checks every section makes of its values, each reporting the same way under the value's key.</summary>
public static class Require
{
    /// <summary>Timers take at most this long (about 24.8 days: int.MaxValue milliseconds).</summary>
    public static readonly TimeSpan LongestDuration = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <returns>Whether the value passed.</returns>
    public static bool Positive(TimeSpan value, string key, List<ConfigError> errors) =>
        Check(value > TimeSpan.Zero, key, $"{value} is not a positive duration (hh:mm:ss)", errors)
        && Check(value <= LongestDuration, key, $"{value} is longer than the longest duration, 24.20:31:23", errors);

    /// <returns>Whether the value passed.</returns>
    public static bool Positive(long value, string key, List<ConfigError> errors) =>
        Check(value > 0, key, $"{value} is not a positive number", errors);

    /// <returns>Whether the value passed.</returns>
    public static bool NotNegative(TimeSpan value, string key, List<ConfigError> errors, string? zeroMeans = null) =>
        Check(value >= TimeSpan.Zero, key, $"{value} is negative" + (zeroMeans is null ? "" : $"; 00:00:00 {zeroMeans}"), errors)
        && Check(value <= LongestDuration, key, $"{value} is longer than the longest duration, 24.20:31:23", errors);

    /// <returns>Whether the value passed.</returns>
    public static bool InRange(long value, long min, long max, string key, List<ConfigError> errors) =>
        Check(value >= min && value <= max, key, $"{value} is outside {min}..{max}", errors);

    private static bool Check(bool passed, string key, string message, List<ConfigError> errors)
    {
        if (!passed)
        {
            errors.Add(new ConfigError(key, message));
        }

        return passed;
    }
}
