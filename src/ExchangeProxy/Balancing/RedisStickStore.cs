using ExchangeProxy.Configuration;
using StackExchange.Redis;

namespace ExchangeProxy.Balancing;

/// <summary>
/// Stick table entries shared through Redis (HAProxy's <c>peers</c>): one string key per client and table,
/// written with the table's expiry. While Redis is unreachable every call returns at once and the local
/// tables carry on; the client library reconnects in the background. Each outage is logged once, and so
/// is each recovery.
/// </summary>
public sealed partial class RedisStickStore : IStickStore, IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _database;
    private readonly string _prefix;
    private readonly TimeSpan _timeout;
    private readonly ILogger<RedisStickStore> _logger;
    private int _unreachable;
    private long _hits;
    private long _misses;
    private long _errors;

    private RedisStickStore(ConnectionMultiplexer redis, StickStoreSettings settings, ILogger<RedisStickStore> logger)
    {
        _redis = redis;
        _database = redis.GetDatabase();
        _prefix = settings.KeyPrefix + ":stick:";
        _timeout = settings.Timeout;
        _logger = logger;
        redis.ConnectionFailed += (_, e) => Unreachable(e.Exception?.Message ?? e.FailureType.ToString());
        // Restored is raised per connection (commands, subscriptions): reachable once commands can go again.
        redis.ConnectionRestored += (_, _) =>
        {
            if (redis.IsConnected)
            {
                Reachable();
            }
        };
        if (!redis.IsConnected)
        {
            Unreachable("not connected at start");
        }
    }

    public StickStoreCounters Counters => new(
        Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _errors), Volatile.Read(ref _unreachable) == 0);

    /// <summary>Returns at once even when Redis is down: the connection is made, and remade, in the background.</summary>
    public static RedisStickStore Connect(StickStoreSettings settings, ILogger<RedisStickStore> logger)
    {
        var options = ConfigurationOptions.Parse(settings.Configuration);
        options.AbortOnConnectFail = false;
        // While disconnected, fail commands at once instead of queueing them behind a request.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = options.SyncTimeout = (int)Math.Max(1, settings.Timeout.TotalMilliseconds);
        options.ConnectTimeout = 2000;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        return new RedisStickStore(ConnectionMultiplexer.Connect(options), settings, logger);
    }

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
            Unreachable(e.Message);
            return null;
        }
    }

    public void Announce(string table, ClientKey key, string server, TimeSpan expire)
    {
        if (!_redis.IsConnected)
        {
            return;
        }

        try
        {
            _database.StringSet(KeyOf(table, key), server, expire, flags: CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            Interlocked.Increment(ref _errors);
            Unreachable(e.Message);
        }
    }

    private RedisKey KeyOf(string table, ClientKey key) => $"{_prefix}{table}:{key}";

    private void Unreachable(string reason)
    {
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
        {
            LogUnreachable(_logger, reason);
        }
    }

    private void Reachable()
    {
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            LogReachable(_logger);
        }
    }

    public void Dispose() => _redis.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable ({Reason}); stick tables are local to this instance until it returns")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis is reachable again; stick tables are shared")]
    private static partial void LogReachable(ILogger logger);
}
