namespace ExchangeProxy.Hosting;

/// <summary>
/// Gives memory back once a crowd of connections has gone. .NET collects only when it allocates, so a proxy that
/// held 10,000 connections and then went quiet kept their memory for good; HAProxy frees it at once. When the
/// client connections open have fallen by at least <see cref="Drop"/>, and to half or less of their peak, since
/// the last look, one full compacting collection returns the freed memory to the system. It pauses the process
/// for tens of milliseconds, and happens only after such a fall.
/// </summary>
public sealed partial class MemoryTrim(ConnectionLimit connections, TimeProvider time, ILogger<MemoryTrim> logger) : IHostedService, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    public const int Drop = 1000;

    private ITimer? _timer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer = time.CreateTimer(static state => ((MemoryTrim)state!).Look(), this, Interval, Interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public void Dispose() => _timer?.Dispose();

    private void Look()
    {
        var open = connections.Active;
        var peak = connections.TakePeak();
        if (peak - open < Drop || open > peak / 2)
        {
            return;
        }

        var before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var freed = Math.Max(0, before - Environment.WorkingSet) / (1024 * 1024);
        LogTrimmed(logger, peak - open, open, freed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Closed} connections closed ({Open} open): {Freed} MB of memory given back")]
    private static partial void LogTrimmed(ILogger logger, long closed, long open, long freed);
}
