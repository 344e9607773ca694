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

    private readonly AccountGuard _guard;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedAccounts> _logger;
    private readonly ITimer _timer;
    private readonly RedisOutage _outage;
    private readonly Lock _lock = new();
    private Connection? _connection;
    private StickStoreSettings? _settings;
    // The lockouts known to be in Redis: one that has gone from there was lifted by another instance.
    private readonly ConcurrentDictionary<string, byte> _sharedLocks = new(StringComparer.Ordinal);
    private Connection? _subscribedTo;
    private int _syncing;

    public SharedAccounts(AccountGuard guard, TimeProvider time, ILogger<SharedAccounts> logger)
    {
        _guard = guard;
        _time = time;
        _logger = logger;
        _outage = new RedisOutage(reason => LogUnreachable(logger, reason), () => LogReachable(logger));
        guard.Counted += (kind, name, limit, settings) => _ = CountAsync(kind, name, limit, settings);
        guard.LockedOutHere += (kind, name, until) => _ = WriteLockAsync(kind, name, until);
        guard.Forgiven += (kind, name) => _ = ForgetAsync(kind, name);
        _timer = time.CreateTimer(static state => ((SharedAccounts)state!).SyncNow(), this, SyncInterval, SyncInterval);
    }

    /// <summary>Connects to the Redis of the current configuration, and to the one each accepted reload names.</summary>
    public void Follow(ProxyModelStore models)
    {
        Apply(models.Current.Redis);
        Microsoft.Extensions.Primitives.ChangeToken.OnChange(() => models.ChangeToken, () => Apply(models.Current.Redis));
    }

    public void Dispose()
    {
        _timer.Dispose();
        _connection?.Redis.Dispose();
    }

    private static string Field(AccountKind kind, string name) => $"{kind}:{name.ToLowerInvariant()}";

    private void Apply(StickStoreSettings? settings)
    {
        lock (_lock)
        {
            if (settings == _settings)
            {
                return;
            }

            var previous = _connection;
            _connection = settings is null ? null : new Connection(RedisConnection.Connect(settings), settings);
            _settings = settings;
            previous?.Redis.Dispose();
        }
    }

    private async Task CountAsync(AccountKind kind, string name, int limit, AccountProtectionSettings settings)
    {
        if (_connection is not { Redis.IsConnected: true } connection)
        {
            return;
        }

        try
        {
            var database = connection.Redis.GetDatabase();
            var key = connection.Counter(kind, name);
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
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            _outage.Down(e.Message);
        }
    }

    private async Task WriteLockAsync(AccountKind kind, string name, DateTimeOffset until)
    {
        if (_connection is not { Redis.IsConnected: true } connection)
        {
            return;
        }

        try
        {
            var untilMs = until.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            await connection.Redis.GetDatabase().HashSetAsync(connection.Locks, Field(kind, name), untilMs).WaitAsync(connection.Timeout);
            _sharedLocks[Field(kind, name)] = 0;
            await connection.Redis.GetSubscriber().PublishAsync(connection.Announcements, $"{untilMs} {Field(kind, name)}").WaitAsync(connection.Timeout);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The next sync writes it: it is locked here and not yet in Redis.
            _outage.Down(e.Message);
        }
    }

    private async Task ForgetAsync(AccountKind kind, string name)
    {
        if (_connection is not { Redis.IsConnected: true } connection)
        {
            return;
        }

        try
        {
            var database = connection.Redis.GetDatabase();
            await database.KeyDeleteAsync(connection.Counter(kind, name)).WaitAsync(connection.Timeout);
            await database.HashDeleteAsync(connection.Locks, Field(kind, name)).WaitAsync(connection.Timeout);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            _outage.Down(e.Message);
        }
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

    private void SyncNow()
    {
        if (_connection is { } connection && Interlocked.Exchange(ref _syncing, 1) == 0)
        {
            _ = SyncAsync(connection);
        }
    }

    /// <summary>Applies the lockouts in Redis here, lifts those lifted elsewhere, and writes those decided here alone.</summary>
    private async Task SyncAsync(Connection connection)
    {
        try
        {
            if (!connection.Redis.IsConnected)
            {
                _outage.Down("not connected");
                return;
            }

            if (_subscribedTo != connection)
            {
                // A lockout is announced as it starts, so the others apply it at once rather than at their next sync;
                // the client library subscribes again by itself after a reconnection.
                await connection.Redis.GetSubscriber().SubscribeAsync(connection.Announcements, (_, message) => Announced(message.ToString()))
                    .WaitAsync(connection.Timeout);
                _subscribedTo = connection;
            }

            var database = connection.Redis.GetDatabase();
            var now = _time.GetUtcNow();
            var inRedis = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in await database.HashGetAllAsync(connection.Locks).WaitAsync(connection.Timeout))
            {
                var field = entry.Name.ToString();
                if (Parse(field) is not { } account
                    || !long.TryParse(entry.Value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
                    || DateTimeOffset.FromUnixTimeMilliseconds(ms) <= now)
                {
                    await database.HashDeleteAsync(connection.Locks, field).WaitAsync(connection.Timeout);
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
                    await database.HashSetAsync(connection.Locks, field,
                        locked.LockedUntil!.Value.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).WaitAsync(connection.Timeout);
                    _sharedLocks[field] = 0;
                }
            }

            foreach (var field in _sharedLocks.Keys.Where(f => !inRedis.Contains(f) && !lockedHere.Contains(f)))
            {
                _sharedLocks.TryRemove(field, out _);
            }

            _outage.Up();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _outage.Down(e.Message);
        }
        catch (ObjectDisposedException)
        {
            // A reload let this connection go; the one that replaced it syncs on the next tick.
        }
        finally
        {
            Volatile.Write(ref _syncing, 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account protection cannot be shared ({Reason}); this instance counts alone until Redis answers")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account protection is shared through Redis again")]
    private static partial void LogReachable(ILogger logger);

    private sealed record Connection(ConnectionMultiplexer Redis, StickStoreSettings Settings)
    {
        public RedisKey Locks { get; } = Settings.KeyPrefix + ":accounts:locked";

        public RedisChannel Announcements { get; } = RedisChannel.Literal(Settings.KeyPrefix + ":accounts:lockouts");

        public TimeSpan Timeout { get; } = TimeSpan.FromTicks(Math.Max(Settings.Timeout.Ticks, TimeSpan.TicksPerSecond));

        public RedisKey Counter(AccountKind kind, string name) => $"{Settings.KeyPrefix}:accounts:failures:{Field(kind, name)}";
    }
}
