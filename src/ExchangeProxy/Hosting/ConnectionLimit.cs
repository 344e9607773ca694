using System.Globalization;
using System.Net;
using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Hosting;

/// <summary>
/// One limit on the client connections of every public listener together, HTTP and layer 4 (HAProxy's global
/// <c>maxconn</c>): past it a new connection is closed at once, and the ones already open keep working, so a
/// flood cannot take the process down for lack of file descriptors. By default it is derived from the
/// process's open-file limit: what is left once the descriptors open at start and a reserve are set aside
/// (for probes, the admin listener, never limited here, Redis, logs), halved, as each proxied connection
/// holds a server socket too. One log line when the
/// limit is reached, one when it clears (a tenth below it).
/// </summary>
public sealed partial class ConnectionLimit(ProxyModelStore models, ListenerEndpoints endpoints, ILogger<ConnectionLimit> logger)
{
    /// <summary>Descriptors kept aside, beyond those open at start (the runtime holds one per loaded assembly), for what opens later.</summary>
    public const int Reserve = 128;

    // Read once, before the listeners open: during a flood there may be no descriptor left to read it with.
    private readonly int? _derived = OpenFileLimit() is { } files ? Math.Max(16, (files - OpenNow() - Reserve) / 2) : null;

    private long _active;
    private long _peak;
    private long _refused;
    private int _atLimit;

    /// <summary>The limit in force: ExchangeProxy:MaxConnections, else derived from the open-file limit, else none.</summary>
    public int? Limit => models.Current.MaxConnections ?? _derived;

    public long Active => Interlocked.Read(ref _active);

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>The most connections open at once since the last call; the count starts again from those open now.</summary>
    public long TakePeak() => Interlocked.Exchange(ref _peak, Active);

    public void Apply(ListenOptions listen) =>
        listen.Use(next => async connection =>
        {
            if (IsAdmin(connection.LocalEndPoint))
            {
                await next(connection);
                return;
            }

            var active = Interlocked.Increment(ref _active);
            for (var peak = Interlocked.Read(ref _peak); active > peak; peak = Interlocked.Read(ref _peak))
            {
                if (Interlocked.CompareExchange(ref _peak, active, peak) == peak)
                {
                    break;
                }
            }

            try
            {
                if (Limit is { } limit && active > limit)
                {
                    Interlocked.Increment(ref _refused);
                    if (Interlocked.Exchange(ref _atLimit, 1) == 0)
                    {
                        LogReached(logger, limit);
                    }

                    connection.Abort();
                    return;
                }

                await next(connection);
            }
            finally
            {
                // A tenth below the limit, so a flood that keeps the proxy at its limit is one line, not one per connection.
                var now = Interlocked.Decrement(ref _active);
                if (Limit is { } limit && now < limit - Math.Max(1, limit / 10) && Interlocked.Exchange(ref _atLimit, 0) == 1)
                {
                    LogCleared(logger, limit, Refused);
                }
            }
        });

    private bool IsAdmin(EndPoint? local) =>
        local is IPEndPoint endpoint && endpoints.Of(ListenerEndpoints.Admin) is { } admin
        && admin.Port == endpoint.Port && (admin.Address.Equals(IPAddress.Any) || admin.Address.Equals(IPAddress.IPv6Any) || admin.Address.Equals(endpoint.Address));

    private static int OpenNow() => Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : 0;

    /// <summary>The soft RLIMIT_NOFILE, from /proc (Linux, where the container runs); null where it cannot be read or is unlimited.</summary>
    private static int? OpenFileLimit()
    {
        const string Limits = "/proc/self/limits";
        if (!File.Exists(Limits))
        {
            return null;
        }

        var line = File.ReadLines(Limits).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var soft = line?[14..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return int.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var files) ? files : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection limit reached ({Limit} client connections on the public listeners); new connections are closed until it clears")]
    private static partial void LogReached(ILogger logger, int limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "Below the connection limit ({Limit}) again; {Refused} connections refused so far")]
    private static partial void LogCleared(ILogger logger, int limit, long refused);
}
