using System.Collections.Concurrent;
using System.Globalization;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using StackExchange.Redis;

namespace ExchangeProxy.Protection;

/// <summary>
/// Account protection shared by every instance through the configured Redis (<c>ExchangeProxy:Redis</c>): each
/// failure also counts in Redis (one counter per name, expiring a window after its first failure), so that
/// failures spread over several proxies add up; a lockout, decided by any instance or by the shared count, is
/// written to Redis and applied by every instance within <see cref="SyncInterval"/>; an unlock anywhere lifts
/// it everywhere. Sign-ins are still decided from the local state alone: no request waits for Redis, and while
/// Redis is unreachable each instance counts alone and writes its lockouts once Redis answers again.
/// </summary>
public sealed partial class SharedAccounts : IDisposable
{
    public static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(1);

    private const string LocksKey = "accounts:locked";
    private const string FailuresKey = "accounts:failures";
    private const string AnnouncementsKey = "accounts:lockouts";

    private readonly AccountGuard _guard;
    private readonly TimeProvider _time;
    private readonly RedisSync _redis;
    // The lockouts known to be in Redis: one that has gone from there was lifted by another instance.
    private readonly ConcurrentDictionary<string, byte> _sharedLocks = new(StringComparer.Ordinal);
    private RedisSync.Connection? _subscribedTo;

    public SharedAccounts(AccountGuard guard, TimeProvider time, ILogger<SharedAccounts> logger)
    {
        _guard = guard;
        _time = time;
        _redis = new RedisSync(time, SyncInterval, new RedisOutage(reason => LogUnreachable(logger, reason), () => LogReachable(logger)), SyncAsync);
        guard.Counted += (kind, name, limit, settings) => _ = _redis.TryAsync(c => CountAsync(c, kind, name, limit, settings));
        guard.LockedOutHere += (kind, name, until) => _ = _redis.TryAsync(c => WriteLockAsync(c, kind, name, until));
        guard.Forgiven += (kind, name) => _ = _redis.TryAsync(c => ForgetAsync(c, kind, name));
    }

    /// <summary>Connects to the Redis of the current configuration, and to the one each accepted reload names.</summary>
    public void Follow(ProxyModelStore models) => _redis.Follow(models);

    public void Dispose() => _redis.Dispose();

    private static string Field(AccountKind kind, string name) => $"{kind}:{name.ToLowerInvariant()}";

    private static RedisKey Counter(RedisSync.Connection connection, AccountKind kind, string name) =>
        connection.Key($"{FailuresKey}:{Field(kind, name)}");

    private static RedisChannel Announcements(RedisSync.Connection connection) => RedisChannel.Literal(connection.Key(AnnouncementsKey).ToString());

    private async Task CountAsync(RedisSync.Connection connection, AccountKind kind, string name, int limit, AccountProtectionSettings settings)
    {
        var database = connection.Redis.GetDatabase();
        var key = Counter(connection, kind, name);
        var count = await database.StringIncrementAsync(key).WaitAsync(connection.Timeout);
        if (count == 1)
        {
            await database.KeyExpireAsync(key, settings.Window).WaitAsync(connection.Timeout);
        }

        if (count >= limit)
        {
            _guard.LockOut(kind, name, _time.GetUtcNow() + settings.LockoutDuration, (int)count, settings.Window, fromElsewhere: false);
        }
    }

    /// <summary>Writes a lockout started here and announces it; if Redis fails, the next sync writes it.</summary>
    private async Task WriteLockAsync(RedisSync.Connection connection, AccountKind kind, string name, DateTimeOffset until)
    {
        var untilMs = until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        await connection.Redis.GetDatabase().HashSetAsync(connection.Key(LocksKey), Field(kind, name), untilMs).WaitAsync(connection.Timeout);
        _sharedLocks[Field(kind, name)] = 0;
        await connection.Redis.GetSubscriber().PublishAsync(Announcements(connection), $"{untilMs} {Field(kind, name)}").WaitAsync(connection.Timeout);
    }

    private static async Task ForgetAsync(RedisSync.Connection connection, AccountKind kind, string name)
    {
        var database = connection.Redis.GetDatabase();
        await database.KeyDeleteAsync(Counter(connection, kind, name)).WaitAsync(connection.Timeout);
        await database.HashDeleteAsync(connection.Key(LocksKey), Field(kind, name)).WaitAsync(connection.Timeout);
    }

    /// <summary>Another instance's lockout, as announced: "until-ms kind:name".</summary>
    private void Announced(string message)
    {
        var space = message.IndexOf(' ', StringComparison.Ordinal);
        if (space > 0 && long.TryParse(message.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            && Parse(message[(space + 1)..]) is { } account)
        {
            _sharedLocks[message[(space + 1)..]] = 0;
            _guard.LockOut(account.Kind, account.Name, DateTimeOffset.FromUnixTimeMilliseconds(ms), 0, TimeSpan.Zero, fromElsewhere: true);
        }
    }

    private static (AccountKind Kind, string Name)? Parse(string field)
    {
        var separator = field.IndexOf(':', StringComparison.Ordinal);
        return separator > 0 && Enum.TryParse<AccountKind>(field[..separator], out var kind) ? (kind, field[(separator + 1)..]) : null;
    }

    /// <summary>Applies the lockouts in Redis here, lifts those lifted elsewhere, and writes those decided here alone.</summary>
    private async Task SyncAsync(RedisSync.Connection connection)
    {
        if (_subscribedTo != connection)
        {
            // A lockout is announced as it starts, so the others apply it at once rather than at their next sync;
            // the client library subscribes again by itself after a reconnection.
            await connection.Redis.GetSubscriber().SubscribeAsync(Announcements(connection), (_, message) => Announced(message.ToString()))
                .WaitAsync(connection.Timeout);
            _subscribedTo = connection;
        }

        var database = connection.Redis.GetDatabase();
        var locks = connection.Key(LocksKey);
        var now = _time.GetUtcNow();
        var inRedis = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in await database.HashGetAllAsync(locks).WaitAsync(connection.Timeout))
        {
            var field = entry.Name.ToString();
            if (Parse(field) is not { } account
                || !long.TryParse(entry.Value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                || DateTimeOffset.FromUnixTimeMilliseconds(ms) <= now)
            {
                await database.HashDeleteAsync(locks, field).WaitAsync(connection.Timeout);
                continue;
            }

            inRedis.Add(field);
            _sharedLocks[field] = 0;
            _guard.LockOut(account.Kind, account.Name, DateTimeOffset.FromUnixTimeMilliseconds(ms), 0, TimeSpan.Zero, fromElsewhere: true);
        }

        var lockedHere = new HashSet<string>(StringComparer.Ordinal);
        foreach (var locked in _guard.List().Where(s => s.LockedUntil is not null))
        {
            var field = Field(locked.Kind, locked.Name);
            lockedHere.Add(field);
            if (inRedis.Contains(field))
            {
                continue;
            }

            if (_sharedLocks.TryRemove(field, out _))
            {
                _guard.Release(locked.Kind, locked.Name);
            }
            else
            {
                await database.HashSetAsync(locks, field,
                    locked.LockedUntil!.Value.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).WaitAsync(connection.Timeout);
                _sharedLocks[field] = 0;
            }
        }

        foreach (var field in _sharedLocks.Keys.Where(f => !inRedis.Contains(f) && !lockedHere.Contains(f)))
        {
            _sharedLocks.TryRemove(field, out _);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account protection cannot be shared ({Reason}); this instance counts alone until Redis answers")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account protection is shared through Redis again")]
    private static partial void LogReachable(ILogger logger);
}
