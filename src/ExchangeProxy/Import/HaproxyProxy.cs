namespace ExchangeProxy.Import;

/// <summary>
/// A frontend, backend, listen or defaults section as read: each setting with the line it came from. A proxy
/// starts with what its defaults section set (mode, timeouts, retries, options, checks, default-server), as in HAProxy.
/// </summary>
public sealed class HaproxyProxy
{
    public HaproxyProxy(string kind, string name, HaproxyLine header)
    {
        Kind = kind;
        Name = name;
        Header = header;
    }

    public string Kind { get; }

    public string Name { get; }

    public HaproxyLine Header { get; }

    public bool IsFrontend => Kind is "frontend" or "listen";

    public bool IsBackend => Kind is "backend" or "listen";

    public Setting<string>? Mode { get; set; }

    public bool IsTcp => Mode?.Value == "tcp";

    public List<HaproxyBind> Binds { get; } = [];

    public Dictionary<string, Setting<TimeSpan>> Timeouts { get; private init; } = new(StringComparer.Ordinal);

    public Setting<int>? Retries { get; set; }

    public Setting<bool>? Redispatch { get; set; }

    public Setting<bool>? DontLogNull { get; set; }

    public Setting<int>? MaxConnections { get; set; }

    public Setting<string>? Balance { get; set; }

    public HaproxyHealthCheck? HealthCheck { get; set; }

    /// <summary><c>http-check expect</c> and <c>tcp-check</c> lines, reported with the check they refine.</summary>
    public List<HaproxyLine> CheckRules { get; private init; } = [];

    public HaproxyServerOptions DefaultServer { get; set; } = new();

    public List<HaproxyLine> DefaultServerLines { get; private init; } = [];

    public HaproxyStickTable? StickTable { get; set; }

    /// <summary><c>stick on src</c> (or match/store-request src), with the table it names when not its own.</summary>
    public Setting<string?>? StickOnSource { get; set; }

    public List<HaproxyServer> Servers { get; } = [];

    public Dictionary<string, List<(HaproxyMatch Match, HaproxyLine Line)>> Acls { get; } = new(StringComparer.Ordinal);

    public List<HaproxyRule> Rules { get; } = [];

    public Setting<string>? DefaultBackend { get; set; }

    /// <summary>The <c>stats</c> lines; <c>stats enable</c> or <c>stats uri</c> makes this proxy a stats page.</summary>
    public List<HaproxyLine> StatsLines { get; } = [];

    public bool ServesStats => StatsLines.Any(l => l.Word(1) is "enable" or "uri" or "auth");

    /// <summary>A proxy of <paramref name="kind"/> that starts with what these defaults set.</summary>
    public HaproxyProxy Inherit(string kind, string name, HaproxyLine header) => new(kind, name, header)
    {
        Mode = Mode,
        Timeouts = new Dictionary<string, Setting<TimeSpan>>(Timeouts, StringComparer.Ordinal),
        Retries = Retries,
        Redispatch = Redispatch,
        DontLogNull = DontLogNull,
        MaxConnections = MaxConnections,
        Balance = Balance,
        HealthCheck = HealthCheck,
        CheckRules = [.. CheckRules],
        DefaultServer = DefaultServer,
        DefaultServerLines = [.. DefaultServerLines],
    };

    public IEnumerable<HaproxyRule> RulesOf(string action) => Rules.Where(r => r.Action == action);
}
