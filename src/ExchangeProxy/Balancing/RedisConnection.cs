using ExchangeProxy.Configuration;
using StackExchange.Redis;

namespace ExchangeProxy.Balancing;

/// <summary>How the proxy connects to its Redis, for stick tables and maintenance states alike.</summary>
public static class RedisConnection
{
    /// <summary>Returns at once even when Redis is down: the connection is made, and remade, in the background.</summary>
    public static ConnectionMultiplexer Connect(StickStoreSettings settings)
    {
        var options = ConfigurationOptions.Parse(settings.Configuration);
        options.AbortOnConnectFail = false;
        // While disconnected, fail commands at once instead of queueing them behind a request.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.AsyncTimeout = options.SyncTimeout = (int)Math.Max(1, settings.Timeout.TotalMilliseconds);
        options.ConnectTimeout = 2000;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        return ConnectionMultiplexer.Connect(options);
    }
}
