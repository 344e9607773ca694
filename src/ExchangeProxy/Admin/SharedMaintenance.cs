using System.Text.Json;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using StackExchange.Redis;

namespace ExchangeProxy.Admin;

/// <summary>
/// Maintenance states and runtime weights shared by every instance through the configured Redis
/// (<c>ExchangeProxy:Redis</c>, the stick tables' one): a drain, maint, ready or weight set on any instance applies
/// on all of them within <see cref="SyncInterval"/>. Each instance keeps its own state file and carries on alone
/// while Redis is unreachable; once Redis answers, the newest record of each server wins both ways, so what an
/// instance decided alone reaches the others, as its stick-table entries do. Each instance also writes what it
/// applies, for every instance's stats page.
/// </summary>
public sealed partial class SharedMaintenance : IDisposable
{
    public static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(1);

    /// <summary>An instance silent this long is left off the stats page (and out of Redis).</summary>
    public static readonly TimeSpan InstanceTimeout = TimeSpan.FromMinutes(1);

    // Writes a record only over an older one: two instances pushing at once cannot put an older decision back.
    private const string WriteIfNewer = """
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if current then
          local ok, record = pcall(cjson.decode, current)
          if ok and type(record) == 'table' and tonumber(record.stamp) and tonumber(record.stamp) >= tonumber(ARGV[2]) then
            return 0
          end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        return 1
        """;

    private const string StatesKey = "maintenance";
    private const string InstancesKey = "instances";

    private static readonly JsonSerializerOptions Compact = new(MaintenanceStates.Json) { WriteIndented = false };

    private readonly MaintenanceStates _states;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedMaintenance> _logger;
    private readonly RedisSync _redis;
    private IReadOnlyList<InstanceView> _instances = [];

    public SharedMaintenance(MaintenanceStates states, TimeProvider time, ILogger<SharedMaintenance> logger)
    {
        _states = states;
        _time = time;
        _logger = logger;
        InstanceName = $"{Environment.MachineName}/{Guid.NewGuid().ToString("N")[..6]}";
        var outage = new RedisOutage(
            reason =>
            {
                // What the others applied is unknown from now on: the stats page shows no stale view.
                _instances = [];
                LogUnreachable(logger, reason);
            },
            () => LogReachable(logger));
        _redis = new RedisSync(time, SyncInterval, outage, SyncAsync);
        // An operator's change goes out at once; the timer brings in the others' and retries what failed.
        states.Decided += _ => _redis.Now();
    }

    /// <summary>This instance's name among the others: the host name, and a tag that tells apart two on one host.</summary>
    public string InstanceName { get; }

    /// <summary>Every instance heard from lately, this one first; empty without a Redis.</summary>
    public IReadOnlyList<InstanceView> Instances => _redis.Current is null ? [] : _instances;

    /// <summary>Connects to the Redis of the current configuration, and to the one each accepted reload names.</summary>
    public void Follow(ProxyModelStore models) => _redis.Follow(models);

    public void Dispose() => _redis.Dispose();

    private async Task SyncAsync(RedisSync.Connection connection)
    {
        var database = connection.Redis.GetDatabase();
        var theirs = new Dictionary<string, ServerMaintenance>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in await database.HashGetAllAsync(connection.Key(StatesKey)).WaitAsync(connection.Timeout))
        {
            if (Read<ServerMaintenance>(entry.Value) is { } record)
            {
                theirs[entry.Name!] = record;
                _states.Adopt(entry.Name!, record);
            }
        }

        var pushed = 0;
        foreach (var (server, record) in _states.Servers)
        {
            if (!theirs.TryGetValue(server, out var known) || known.Stamp < record.Stamp)
            {
                var written = await database.ScriptEvaluateAsync(WriteIfNewer, [connection.Key(StatesKey)],
                    [server, record.Stamp, JsonSerializer.Serialize(record, Compact)]).WaitAsync(connection.Timeout);
                pushed += (int)written;
            }
        }

        await ShareViewAsync(database, connection);
        if (pushed > 0)
        {
            LogPushed(_logger, pushed);
        }
    }

    /// <summary>Writes what this instance applies, and reads what the others do.</summary>
    private async Task ShareViewAsync(IDatabase database, RedisSync.Connection connection)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var mine = _states.Servers.ToDictionary(s => s.Key, s => new AppliedState(s.Value.Summary(), s.Value.Stamp), StringComparer.OrdinalIgnoreCase);
        await database.HashSetAsync(connection.Key(InstancesKey), InstanceName, JsonSerializer.Serialize(new InstanceRecord(now, mine), Compact))
            .WaitAsync(connection.Timeout);
        var views = new List<InstanceView>();
        foreach (var entry in await database.HashGetAllAsync(connection.Key(InstancesKey)).WaitAsync(connection.Timeout))
        {
            var name = entry.Name.ToString();
            if (Read<InstanceRecord>(entry.Value) is not { } record || now - record.Seen > InstanceTimeout.TotalMilliseconds)
            {
                await database.HashDeleteAsync(connection.Key(InstancesKey), name).WaitAsync(connection.Timeout);
                continue;
            }

            var servers = record.Servers ?? [];
            var agrees = servers.Count == mine.Count && servers.All(s => mine.TryGetValue(s.Key, out var m) && m.Stamp == s.Value.Stamp);
            views.Add(new InstanceView(name, name == InstanceName, Math.Max(0, now - record.Seen) / 1000.0,
                servers.ToDictionary(s => s.Key, s => s.Value.Summary, StringComparer.OrdinalIgnoreCase), agrees));
        }

        _instances = [.. views.OrderByDescending(v => v.Self).ThenBy(v => v.Name, StringComparer.Ordinal)];
    }

    private T? Read<T>(RedisValue value)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(value.ToString(), MaintenanceStates.Json);
        }
        catch (JsonException e)
        {
            // Written by something else under our prefix: left alone, never applied.
            LogUnreadable(_logger, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maintenance states cannot be shared ({Reason}); this instance applies its own until Redis answers")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Maintenance states are shared through Redis again")]
    private static partial void LogReachable(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Maintenance states of {Count} servers decided on this instance written to Redis")]
    private static partial void LogPushed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A maintenance record in Redis is unreadable and was ignored: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);

    private sealed record AppliedState(string Summary, long Stamp);

    private sealed record InstanceRecord(long Seen, Dictionary<string, AppliedState>? Servers);
}
