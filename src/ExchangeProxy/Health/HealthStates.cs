using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// The probe state of every server for every service, following the configuration: the one health truth that
/// YARP's destination health, /health, the admin API and the stats page read.
/// </summary>
public sealed class HealthStates(TimeProvider time)
{
    private volatile Dictionary<(string Service, string Server), ServerStatus>? _statuses;
    private volatile bool _ready;

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

    public ServerStatus? Find(string service, string server) =>
        _statuses?.GetValueOrDefault((service.ToLowerInvariant(), server.ToLowerInvariant()));

    /// <summary>Keeps the status of each server that stays in a service; adds the new ones as Unknown.</summary>
    public IReadOnlyCollection<ServerStatus> Apply(ProxyModel model)
    {
        var current = _statuses ?? [];
        var next = new Dictionary<(string, string), ServerStatus>();
        foreach (var service in model.Pools)
        {
            foreach (var server in service.Servers)
            {
                var key = (service.Name.ToLowerInvariant(), server.Name.ToLowerInvariant());
                if (current.TryGetValue(key, out var kept))
                {
                    kept.Check = service.Check;
                    next[key] = kept;
                }
                else
                {
                    next[key] = new ServerStatus(service.Name, server.Name, service.Check, time.GetUtcNow());
                }
            }
        }

        _statuses = next;
        return next.Values;
    }
}
