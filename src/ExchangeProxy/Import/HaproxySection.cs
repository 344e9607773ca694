namespace ExchangeProxy.Import;

/// <summary>A section of an HAProxy file (global, defaults, frontend, backend, listen, peers, userlist, ...) and its lines.</summary>
public sealed record HaproxySection(string Kind, string Name, HaproxyLine Header, IReadOnlyList<HaproxyLine> Lines)
{
    /// <summary>The sections that hold proxies' settings: frontends, backends, listens and the defaults they inherit.</summary>
    public bool IsProxy => Kind is "frontend" or "backend" or "listen" or "defaults";
}
