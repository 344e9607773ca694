namespace ExchangeProxy.Admin;

/// <summary>What the operator says of one server, for all services or one (HAProxy's set server state).</summary>
public enum AdminState
{
    Ready,

    /// <summary>No new clients; sticky clients and pinned connections carry on.</summary>
    Drain,

    /// <summary>Out now.</summary>
    Maint,
}
