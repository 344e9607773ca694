using System.Diagnostics.Metrics;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.Balancing;

/// <summary>
/// Every stick table, by name, following the configuration: a table whose settings did not change keeps its
/// entries across a reload. The optional store shares entries between proxy instances. Table sizes and
/// hit/miss/redispatch counts are published as metrics.
/// </summary>
public sealed partial class StickTables : IDisposable
{
    private readonly TimeProvider _time;
    private readonly ILogger<StickTables> _logger;
    private readonly ILoggerFactory _loggers;
    private volatile Dictionary<string, StickTable> _tables = new(StringComparer.OrdinalIgnoreCase);
    private volatile RedisStickStore? _store;
    private StickStoreSettings? _storeSettings;

    public StickTables(TimeProvider time, IMeterFactory meters, ILoggerFactory loggers)
    {
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<StickTables>();
        Publish(meters.Create(ProxyMetrics.MeterName));
    }

    /// <summary>Builds the tables of the current configuration, and rebuilds them on each accepted reload.</summary>
    public void Follow(ProxyModelStore models)
    {
        Apply(models.Current);
        Microsoft.Extensions.Primitives.ChangeToken.OnChange(() => models.ChangeToken, () => Apply(models.Current));
    }

    public IStickStore? Store => _store;

    public IReadOnlyCollection<StickTable> All => _tables.Values;

    public StickTable? Find(string name) => _tables.GetValueOrDefault(name);

    /// <summary>The client's server: from the local table, else from the store (which then fills the local table).</summary>
    public async ValueTask<string?> FindServerAsync(StickTable table, ClientKey key, CancellationToken cancellationToken)
    {
        if (table.TryGet(key, out var server))
        {
            return server;
        }

        if (_store is null || await _store.FindAsync(table.Name, key, cancellationToken) is not { } remote)
        {
            return null;
        }

        table.Learn(key, remote);
        return remote;
    }

    /// <summary>
    /// The server the client is stuck to, among <paramref name="eligible"/> (those that serve bound clients):
    /// found locally, else in the store. A client whose server is not among them is counted as a redispatch
    /// (HAProxy's <c>option redispatch</c>) and balanced afresh by the caller; its entry is rewritten once the new
    /// server is reached. Both layers choose this way.
    /// </summary>
    public async ValueTask<StuckServer<T>> FindStuckAsync<T>(
        StickTable table, ClientKey key, IReadOnlyList<T> eligible, Func<T, string> nameOf, CancellationToken cancellationToken)
        where T : class =>
        Match(table, await FindServerAsync(table, key, cancellationToken), eligible, nameOf);

    /// <summary>As <see cref="FindStuckAsync"/>, from the local table only, for callers that cannot wait.</summary>
    public StuckServer<T> FindStuck<T>(StickTable table, ClientKey key, IReadOnlyList<T> eligible, Func<T, string> nameOf)
        where T : class =>
        Match(table, table.TryGet(key, out var server) ? server : null, eligible, nameOf);

    private static StuckServer<T> Match<T>(StickTable table, string? server, IReadOnlyList<T> eligible, Func<T, string> nameOf)
        where T : class
    {
        if (server is null)
        {
            return default;
        }

        foreach (var candidate in eligible)
        {
            if (string.Equals(nameOf(candidate), server, StringComparison.OrdinalIgnoreCase))
            {
                return new StuckServer<T>(candidate, Redispatched: false);
            }
        }

        table.CountRedispatch();
        return new StuckServer<T>(null, Redispatched: true);
    }

    public void Stick(StickTable table, ClientKey key, string server)
    {
        if (table.Stick(key, server))
        {
            _store?.Announce(table.Name, key, server, table.Settings.Expire);
        }
    }

    /// <summary>
    /// Forgets the matching entries here and in the shared store (HAProxy's <c>clear table</c>); the clients
    /// concerned are balanced afresh on their next request. Returns how many entries went, here and in the store
    /// (null: no store, or it did not answer).
    /// </summary>
    public async Task<(int Local, long? Shared)> ClearAsync(StickTable table, ClientKey? key, string? server)
    {
        var local = table.Clear(key, server).Count;
        if (_store is not { } store)
        {
            return (local, null);
        }

        try
        {
            return (local, await store.ClearAsync(table.Name, key, server));
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            LogClearFailed(_logger, table.Name, e.Message);
            return (local, null);
        }
    }

    public void Apply(ProxyModel model)
    {
        ApplyStore(model.Redis);

        var current = _tables;
        var next = new Dictionary<string, StickTable>(StringComparer.OrdinalIgnoreCase);
        foreach (var settings in model.StickTables)
        {
            if (next.ContainsKey(settings.Name))
            {
                continue;
            }

            if (current.TryGetValue(settings.Name, out var kept) && kept.Settings == settings)
            {
                next[settings.Name] = kept;
            }
            else
            {
                next[settings.Name] = new StickTable(settings, _time);
                LogTable(_logger, settings.Name, settings.Size, settings.Expire);
            }
        }

        _tables = next;
    }

    /// <summary>A Redis added, moved or removed by a reload is connected to (in the background) or let go of at once.</summary>
    private void ApplyStore(StickStoreSettings? settings)
    {
        if (settings == _storeSettings)
        {
            return;
        }

        var previous = _store;
        _store = settings is null ? null : RedisStickStore.Connect(settings, () => All, _time, _loggers.CreateLogger<RedisStickStore>());
        _storeSettings = settings;
        previous?.Dispose();
        if (settings is null)
        {
            LogNoStore(_logger);
        }
    }

    public void Dispose() => _store?.Dispose();

    private void Publish(Meter meter)
    {
        meter.CreateObservableUpDownCounter("stick_table.entries",
            () => All.Select(t => new Measurement<int>(t.Count, Tag(t))), unit: "{entry}",
            description: "Clients remembered by each stick table");
        meter.CreateObservableCounter("stick_table.lookups",
            () => All.SelectMany(t => new[]
            {
                new Measurement<long>(t.Counters.Hits, Tag(t), new("result", "hit")),
                new Measurement<long>(t.Counters.Misses, Tag(t), new("result", "miss")),
            }), unit: "{lookup}", description: "Stick table lookups, by result");
        meter.CreateObservableCounter("stick_table.redispatches",
            () => All.Select(t => new Measurement<long>(t.Counters.Redispatches, Tag(t))), unit: "{client}",
            description: "Clients sent to another server because theirs was down or out of service");
    }

    private static KeyValuePair<string, object?> Tag(StickTable table) => new("table", table.Name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stick table {Table} cleared here, but not in Redis: {Reason}")]
    private static partial void LogClearFailed(ILogger logger, string table, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stick tables are local to this instance (no ExchangeProxy:Redis)")]
    private static partial void LogNoStore(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stick table {Table}: up to {Size} clients, each for {Expire} after its last request")]
    private static partial void LogTable(ILogger logger, string table, int size, TimeSpan expire);
}
