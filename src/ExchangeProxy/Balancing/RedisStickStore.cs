using ExchangeProxy.Configuration;
using StackExchange.Redis;

namespace ExchangeProxy.Balancing;

/// <summary>
/// Stick table entries shared through Redis (HAProxy's <c>peers</c>): one string key per client and table,
/// written with the table's expiry. While Redis is unreachable every call returns at once and the local
/// tables carry on; the client library reconnects in the background. Each outage is logged once, and so
/// is each recovery. What this instance decided alone (while Redis was unreachable, or when a write failed) is
/// pushed back once Redis answers again, as HAProxy's peers resync: an entry Redis lacks is written, and where
/// another instance's entry got there first, this instance learns it, so that all of them agree.
/// </summary>
public sealed partial class RedisStickStore : IStickStore, IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly string _prefix;
    private readonly TimeSpan _timeout;
    private readonly ILogger<RedisStickStore> _logger;
    private readonly Func<IReadOnlyCollection<StickTable>> _tables;
    private readonly ITimer _resyncTimer;
    private readonly RedisOutage _outage;
    // A new store (at start, or a reload naming another Redis) first pushes what the tables already hold.
    private int _unshared = 1;
    private int _resyncing;
    private long _hits;
    private long _misses;
    private long _errors;

    /// <summary>How often an instance with unshared entries looks whether Redis takes them again.</summary>
    public static readonly TimeSpan ResyncInterval = TimeSpan.FromSeconds(1);

    private RedisStickStore(
        ConnectionMultiplexer redis, StickStoreSettings settings, Func<IReadOnlyCollection<StickTable>> tables, TimeProvider time,
        ILogger<RedisStickStore> logger)
    {
        _tables = tables;
        _redis = redis;
        _database = redis.GetDatabase();
        _prefix = settings.KeyPrefix + ":stick:";
        _timeout = settings.Timeout;
        _logger = logger;
        _outage = new RedisOutage(reason => LogUnreachable(logger, reason), () => LogReachable(logger));
        redis.ConnectionFailed += (_, e) => _outage.Down(e.Exception?.Message ?? e.FailureType.ToString());
        // Restored is raised per connection (commands, subscriptions): reachable once commands can go again.
        redis.ConnectionRestored += (_, _) =>
        {
            if (redis.IsConnected)
            {
                _outage.Up();
            }
        };
        if (!redis.IsConnected)
        {
            _outage.Down("not connected at start");
        }

        _resyncTimer = time.CreateTimer(static state => ((RedisStickStore)state!).ResyncIfNeeded(), this, ResyncInterval, ResyncInterval);
    }

    public StickStoreCounters Counters => new(
        Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _errors), !_outage.IsDown);

    /// <summary>Returns at once even when Redis is down: the connection is made, and remade, in the background.</summary>
    public static RedisStickStore Connect(
        StickStoreSettings settings, Func<IReadOnlyCollection<StickTable>> tables, TimeProvider time, ILogger<RedisStickStore> logger) =>
        new(RedisConnection.Connect(settings), settings, tables, time, logger);

    public async ValueTask<string?> FindAsync(string table, ClientKey key, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            return null;
        }

        try
        {
            var value = await _database.StringGetAsync(KeyOf(table, key)).WaitAsync(_timeout, cancellationToken);
            Interlocked.Increment(ref value.IsNull ? ref _misses : ref _hits);
            return value.IsNull ? null : value.ToString();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref _errors);
            _outage.Down(e.Message);
            return null;
        }
    }

    public void Announce(string table, ClientKey key, string server, TimeSpan expire)
    {
        if (!_redis.IsConnected)
        {
            Volatile.Write(ref _unshared, 1);
            return;
        }

        try
        {
            // Not fire-and-forget: a write lost while the connection is being remade must be pushed again.
            _database.StringSetAsync(KeyOf(table, key), server, expire).ContinueWith(
                static (task, state) => ((RedisStickStore)state!).WriteFailed(task.Exception!), this, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (RedisException e)
        {
            WriteFailed(e);
        }
    }

    /// <summary>
    /// Deletes the shared entries that match, those other instances wrote included: the client's, those of
    /// <paramref name="server"/>, or the whole table. Returns how many were deleted.
    /// </summary>
    /// <exception cref="RedisException">Redis did not answer; the caller says so.</exception>
    public async Task<long> ClearAsync(string table, ClientKey? key, string? server)
    {
        if (key is { } client)
        {
            var value = await _database.StringGetAsync(KeyOf(table, client));
            return !value.IsNull && (server is null || string.Equals(value, server, StringComparison.OrdinalIgnoreCase))
                && await _database.KeyDeleteAsync(KeyOf(table, client)) ? 1 : 0;
        }

        long deleted = 0;
        await foreach (var name in _redis.GetServer(_redis.GetEndPoints()[0]).KeysAsync(pattern: $"{_prefix}{table}:*", pageSize: 1000))
        {
            if (server is null || string.Equals(await _database.StringGetAsync(name), server, StringComparison.OrdinalIgnoreCase))
            {
                deleted += await _database.KeyDeleteAsync(name) ? 1 : 0;
            }
        }

        return deleted;
    }

    private void WriteFailed(Exception e)
    {
        Interlocked.Increment(ref _errors);
        Volatile.Write(ref _unshared, 1);
        _outage.Down(e.GetBaseException().Message);
    }

    private void ResyncIfNeeded()
    {
        if (Volatile.Read(ref _unshared) == 1 && _redis.IsConnected && Interlocked.Exchange(ref _resyncing, 1) == 0)
        {
            _ = ResyncAsync();
        }
    }

    private async Task ResyncAsync()
    {
        Volatile.Write(ref _unshared, 0);
        var (pushed, learned) = (0, 0);
        try
        {
            foreach (var table in _tables())
            {
                // In slices, so that a large table neither floods Redis's input buffer nor holds a huge batch.
                foreach (var slice in table.Snapshot().Chunk(512))
                {
                    var writes = Array.ConvertAll(slice, e => _database.StringSetAsync(KeyOf(table.Name, e.Key), e.Server, e.Remaining, When.NotExists));
                    await Task.WhenAll(writes);
                    var taken = new List<(StickEntry Entry, Task<RedisValue> Theirs)>();
                    for (var i = 0; i < slice.Length; i++)
                    {
                        if (writes[i].Result)
                        {
                            pushed++;
                        }
                        else
                        {
                            taken.Add((slice[i], _database.StringGetAsync(KeyOf(table.Name, slice[i].Key))));
                        }
                    }

                    await Task.WhenAll(taken.Select(t => t.Theirs));
                    foreach (var (entry, theirs) in taken)
                    {
                        if (theirs.Result is { IsNull: false } server && !string.Equals(server, entry.Server, StringComparison.Ordinal))
                        {
                            table.Learn(entry.Key, server.ToString());
                            learned++;
                        }
                    }
                }
            }

            if (pushed + learned > 0)
            {
                LogResynced(_logger, pushed, learned);
            }
        }
        catch (ObjectDisposedException)
        {
            // A reload let this store go while it was pushing; the store that replaced it pushes the tables again.
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Tried again on the next tick.
            Interlocked.Increment(ref _errors);
            Volatile.Write(ref _unshared, 1);
        }
        finally
        {
            Volatile.Write(ref _resyncing, 0);
        }
    }

    private RedisKey KeyOf(string table, ClientKey key) => $"{_prefix}{table}:{key}";

    public void Dispose()
    {
        _resyncTimer.Dispose();
        _redis.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable ({Reason}); stick tables are local to this instance until it returns")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stick tables resynchronised with Redis: {Pushed} entries this instance decided alone written, {Learned} taken from other instances")]
    private static partial void LogResynced(ILogger logger, int pushed, int learned);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is reachable again; stick tables are shared")]
    private static partial void LogReachable(ILogger logger);
}
