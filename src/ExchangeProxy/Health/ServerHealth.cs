namespace ExchangeProxy.Health;

/// <summary>What the probes say of one server for one service.</summary>
public enum ProbeState
{
    /// <summary>Not probed yet (or the service's check is None): counts as up.</summary>
    Unknown,
    Up,
    Down,
}

/// <summary>What the operator says of one server, for all services or one (HAProxy's set server state).</summary>
public enum AdminState
{
    Ready,

    /// <summary>No new clients; sticky clients and pinned connections carry on.</summary>
    Drain,

    /// <summary>Out now.</summary>
    Maint,
}

/// <param name="Detail">What was seen: "200", "503 from /owa/healthcheck.htm", "timeout after 10 s", "refused", "TLS error: ...".</param>
public sealed record ProbeResult(bool Ok, string Detail, TimeSpan Latency, DateTimeOffset At);
