using ExchangeProxy.Configuration;
using StackExchange.Redis;

namespace ExchangeProxy.Balancing;

/// <summary>
/// A connection to the configured Redis (<c>ExchangeProxy:Redis</c>) that follows reloads (made anew when one names
/// another Redis, let go when none does), and its owner's sync run against it every interval and on demand, one at
/// a time. A sync that finds Redis unreachable, or fails on it, reports the outage (once, through
/// <see cref="Outage"/>); one that completes reports it reachable.
/// </summary>
public sealed class RedisSync : IDisposable
{
    private readonly Func<Connection, Task> _sync;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private Connection? _connection;
    private StickStoreSettings? _settings;
    private int _syncing;

    public RedisSync(TimeProvider time, TimeSpan interval, RedisOutage outage, Func<Connection, Task> sync)
    {
        Outage = outage;
        _sync = sync;
        _timer = time.CreateTimer(static state => ((RedisSync)state!).Now(), this, interval, interval);
    }

    public RedisOutage Outage { get; }

    /// <summary>The connection of the current configuration; null without a Redis.</summary>
    public Connection? Current => _connection;

    /// <summary>Connects to the Redis of the current configuration, and to the one each accepted reload names.</summary>
    public void Follow(ProxyModelStore models)
    {
        Apply(models.Current.Redis);
        Microsoft.Extensions.Primitives.ChangeToken.OnChange(() => models.ChangeToken, () => Apply(models.Current.Redis));
    }

    /// <summary>Runs the sync now, unless one is running.</summary>
    public void Now()
    {
        if (_connection is { } connection && Interlocked.Exchange(ref _syncing, 1) == 0)
        {
            _ = RunAsync(connection);
        }
    }

    /// <summary>
    /// Does <paramref name="work"/> against the current connection when it is connected, else nothing; a failure is
    /// reported as an outage, for the next sync to make good.
    /// </summary>
    public async Task TryAsync(Func<Connection, Task> work)
    {
        if (_connection is not { Redis.IsConnected: true } connection)
        {
            return;
        }

        try
        {
            await work(connection);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Outage.Down(e.Message);
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _connection?.Redis.Dispose();
    }

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

    private async Task RunAsync(Connection connection)
    {
        try
        {
            if (!connection.Redis.IsConnected)
            {
                Outage.Down("not connected");
                return;
            }

            await _sync(connection);
            Outage.Up();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Outage.Down(e.Message);
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

    public sealed record Connection(ConnectionMultiplexer Redis, StickStoreSettings Settings)
    {
        // A sync does a few round trips: each gets the configured timeout, at least a second.
        public TimeSpan Timeout { get; } = TimeSpan.FromTicks(Math.Max(Settings.Timeout.Ticks, TimeSpan.TicksPerSecond));

        /// <summary>A key under the configured prefix: <c>exchangeproxy:{name}</c>.</summary>
        public RedisKey Key(string name) => $"{Settings.KeyPrefix}:{name}";
    }
}
