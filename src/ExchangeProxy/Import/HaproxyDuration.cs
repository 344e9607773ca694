using System.Globalization;

namespace ExchangeProxy.Import;

/// <summary>HAProxy's time format: a number with an optional unit (us, ms, s, m, h, d); a bare number is milliseconds.</summary>
public static class HaproxyDuration
{
    public static TimeSpan Parse(string text, HaproxyLine line)
    {
        var digits = text.TakeWhile(char.IsAsciiDigit).Count();
        var unit = text[digits..];
        if (digits == 0 || !long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new HaproxyImportException(line.Number, $"'{text}' is not a duration (a number with us, ms, s, m, h or d)");
        }

        var ticks = unit switch
        {
            "us" => value * TimeSpan.TicksPerMicrosecond,
            "" or "ms" => value * TimeSpan.TicksPerMillisecond,
            "s" => value * TimeSpan.TicksPerSecond,
            "m" => value * TimeSpan.TicksPerMinute,
            "h" => value * TimeSpan.TicksPerHour,
            "d" => value * TimeSpan.TicksPerDay,
            _ => throw new HaproxyImportException(line.Number, $"'{text}': unknown time unit '{unit}' (us, ms, s, m, h or d)"),
        };

        // HAProxy keeps times in milliseconds in 32 bits: past about 24.8 days it refuses them, as the proxy's timers do.
        if (value > int.MaxValue || ticks / TimeSpan.TicksPerMillisecond > int.MaxValue || ticks < 0)
        {
            throw new HaproxyImportException(line.Number, $"'{text}' is longer than HAProxy's longest time (24.8 days)");
        }

        return TimeSpan.FromTicks(ticks);
    }

    /// <summary>As appsettings.json writes durations: hh:mm:ss, with days and fractions only when needed.</summary>
    public static string Format(TimeSpan value) =>
        value.ToString(value.Ticks % TimeSpan.TicksPerSecond != 0 ? "c" : value.Days > 0 ? @"d\.hh\:mm\:ss" : @"hh\:mm\:ss", CultureInfo.InvariantCulture);
}
