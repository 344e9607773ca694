namespace ExchangeProxy.Health;

/// <param name="Detail">What was seen: "200", "503 from /owa/healthcheck.htm", "timeout after 10 s", "refused", "TLS error: ...".</param>
public sealed record ProbeResult(bool Ok, string Detail, TimeSpan Latency, DateTimeOffset At);
