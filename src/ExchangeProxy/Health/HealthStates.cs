using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// The health of every server for every pool, following the configuration: probe verdicts and live traffic's
/// failures alike. The one health truth: both layers' server choice, /health, the admin API and the stats
/// page read it (through <see cref="Balancing.ServerEligibility"/>).
/// </summary>
public sealed class HealthStates(TimeProvider time)
{
    private volatile Dictionary<(string Service, string Server), ServerStatus>? _statuses;
    private volatile bool _ready;

    /// <summary>Raised after a server's health changed for a pool: a probe verdict, or live traffic's.</summary>
    public event Action<ServerStatus>? Changed;

    public IReadOnlyCollection<ServerStatus> All => (IReadOnlyCollection<ServerStatus>?)_statuses?.Values ?? [];

    /// <summary>True once every server of every service has been probed at least once (never before the first <see cref="Apply"/>); it stays true.</summary>
    public bool Ready
    {
        get
        {
            if (!_ready && _statuses is { } statuses && statuses.Values.All(s => s.Probed))
            {
                _ready = true;
            }

            return _ready;
        }
    }

    public ServerStatus? Find(string service, string server) => _statuses?.GetValueOrDefault((service, server));

    /// <summary>Keeps the status of each server that stays in a pool; adds the new ones as Unknown.</summary>
    public IReadOnlyCollection<ServerStatus> Apply(ProxyModel model)
    {
        var current = _statuses ?? [];
        var next = new Dictionary<(string, string), ServerStatus>(IgnoreCasePair.Instance);
        foreach (var pool in model.Pools)
        {
            foreach (var server in pool.Servers)
            {
                var key = (pool.Name, server.Name);
                var address = server.AddressOn(pool.ServerPort);
                if (current.TryGetValue(key, out var kept))
                {
                    kept.Check = pool.Check;
                    kept.Address = address;
                    next[key] = kept;
                }
                else
                {
                    next[key] = new ServerStatus(pool.Name, server.Name, address, pool.Check, time.GetUtcNow());
                }
            }
        }

        _statuses = next;
        return next.Values;
    }

    /// <summary>Records a probe's result; returns the new state when it changed.</summary>
    public ProbeState? Record(ServerStatus status, ProbeResult result)
    {
        var wasPassiveDown = status.IsPassiveDown(result.At);
        var changed = status.Record(result);
        if (changed is not null || (wasPassiveDown && !status.IsPassiveDown(result.At)))
        {
            Changed?.Invoke(status);
        }

        return changed;
    }

    /// <summary>Live traffic could not connect to the server: out of the pool at once, for both layers, until a probe passes.</summary>
    /// <returns>Whether the server was in until now (the caller logs it, with the reason, once).</returns>
    public bool MarkPassiveDown(string pool, string server)
    {
        if (Find(pool, server) is { } status && status.MarkPassiveDown(time.GetUtcNow()))
        {
            Changed?.Invoke(status);
            return true;
        }

        return false;
    }

    /// <summary>Pool and server names compare as the configuration does: ignoring case, without allocating.</summary>
    private sealed class IgnoreCasePair : IEqualityComparer<(string, string)>
    {
        public static readonly IgnoreCasePair Instance = new();

        public bool Equals((string, string) x, (string, string) y) =>
            string.Equals(x.Item1, y.Item1, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Item2, y.Item2, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string, string) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Item1), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Item2));
    }
}
