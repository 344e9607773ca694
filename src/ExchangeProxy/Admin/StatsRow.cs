namespace ExchangeProxy.Admin;

/// <param name="State">UP, DOWN, DRAIN, MAINT, or UNKNOWN before the first check.</param>
/// <param name="CheckPassed">Whether the last check passed; null before the first, or without checks.</param>
public sealed record StatsRow(
    string Server,
    string State,
    int Weight,
    string? CheckType,
    string? CheckResult,
    double? CheckLatencyMs,
    double? CheckAgoSeconds,
    double? InStateSeconds,
    long Current,
    long Max,
    long Total,
    double Rate,
    long BytesIn,
    long BytesOut,
    long ConnectErrors,
    long ResponseErrors,
    long ServerErrors,
    long Retries,
    long Redispatches,
    string? Warning = null,
    bool? CheckPassed = null);
