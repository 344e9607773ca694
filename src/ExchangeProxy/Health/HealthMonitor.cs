using ExchangeProxy.Configuration;

namespace ExchangeProxy.Health;

/// <summary>
/// Probes every server of every service on its own timer (a DOWN server too, at the same interval), records
/// the results with rise/fall in <see cref="HealthStates"/>, whose changes both layers follow, so only the
/// failed service's traffic leaves the server, and logs each state change once with its reason and latency.
/// </summary>
public sealed partial class HealthMonitor(
    ProxyModelStore models,
    HealthStates states,
    Probes probes,
    ListenerCertificates certificates,
    CertificateExpiries expiries,
    TimeProvider time,
    ILogger<HealthMonitor> logger) : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);
    private readonly Dictionary<ServerStatus, Loop> _loops = [];
    private readonly Lock _lock = new();
    private CancellationToken _stopping;

    /// <summary>The statuses exist before the listeners open: ExecuteAsync itself runs later, on the thread pool.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        states.Apply(models.Current);
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        Follow();
        var changes = Microsoft.Extensions.Primitives.ChangeToken.OnChange(() => models.ChangeToken, Follow);
        stoppingToken.Register(() =>
        {
            changes.Dispose();
            StopAll();
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// One loop per server of each pool, following the model: a loop whose server moved or whose check changed
    /// starts again at once (probing first), one whose server left the pool stops.
    /// </summary>
    private void Follow()
    {
        var model = models.Current;
        var statuses = states.Apply(model);
        lock (_lock)
        {
            foreach (var (status, loop) in _loops.Where(l => !statuses.Contains(l.Key) || l.Value.Outdated(l.Key)).ToList())
            {
                _loops.Remove(status);
                loop.Stop();
            }

            foreach (var status in statuses.Where(s => !_loops.ContainsKey(s)))
            {
                var layer7 = model.FindPool(status.Service)!.IsHttp;
                var loop = new Loop(status.Address, status.Check, CancellationTokenSource.CreateLinkedTokenSource(_stopping));
                _loops[status] = loop;
                _ = ProbeLoopAsync(status, layer7, loop.Cancel.Token);
            }
        }
    }

    private async Task ProbeLoopAsync(ServerStatus status, bool layer7, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var check = status.Check;
                try
                {
                    await ProbeOnceAsync(status, check, layer7, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // A loop that ended here would freeze the server's state: say why, and go on.
                    LogLoopFailed(logger, e, status.Server, status.Service);
                }

                await Task.Delay(check.Interval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeOnceAsync(ServerStatus status, CheckSettings check, bool layer7, CancellationToken cancellationToken)
    {
        if (check.Type == CheckType.None)
        {
            return;
        }

        var address = status.Address;
        var result = await probes.CheckAsync(check, address, TlsFor(status, address), cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        if (states.Record(status, result) is { } changed)
        {
            LogChange(status, changed, result);
        }

        if (layer7 && certificates.MismatchOf(address, probes.CertificateOf(address)?.Thumbprint) is { } mismatch
            && _warned.TryAdd($"{status.Server}|{mismatch}", 0))
        {
            LogExtendedProtection(logger, status.Server, mismatch);
        }

        expiries.WarnOfDue();
    }

    /// <summary>As live traffic reaches the server: the namespace (set, or the listener certificate's name), else its address.</summary>
    private ServerTls TlsFor(ServerStatus status, Uri address)
    {
        var model = models.Current;
        var pool = model.FindPool(status.Service);
        return new ServerTls(model.Namespace ?? certificates.DnsName ?? address.Host, pool?.AcceptAnyServerCertificate ?? false,
            model.ServerCertificateAuthorities);
    }

    private void LogChange(ServerStatus status, ProbeState state, ProbeResult result)
    {
        var latency = result.Latency.TotalMilliseconds;
        if (state == ProbeState.Down)
        {
            LogDown(logger, status.Server, status.Service, result.Detail, latency);
        }
        else if (status.Checks == 1)
        {
            LogFirstUp(logger, status.Server, status.Service, result.Detail, latency);
        }
        else
        {
            LogUp(logger, status.Server, status.Service, result.Detail, latency);
        }
    }

    private void StopAll()
    {
        lock (_lock)
        {
            foreach (var loop in _loops.Values)
            {
                loop.Stop();
            }

            _loops.Clear();
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Probing {Server} for {Service} failed unexpectedly; the next check follows at the usual interval")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string server, string service);

    /// <summary>A running probe loop, with what it was started for.</summary>
    private sealed record Loop(Uri Address, CheckSettings Check, CancellationTokenSource Cancel)
    {
        public bool Outdated(ServerStatus status) => status.Address != Address || status.Check != Check;

        public void Stop()
        {
            Cancel.Cancel();
            Cancel.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server} breaks Extended Protection: {Mismatch}")]
    private static partial void LogExtendedProtection(ILogger logger, string server, string mismatch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server} is DOWN for {Service}: {Reason} ({LatencyMs:0} ms)")]
    private static partial void LogDown(ILogger logger, string server, string service, string reason, double latencyMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Server} is UP for {Service}: {Reason} ({LatencyMs:0} ms)")]
    private static partial void LogUp(ILogger logger, string server, string service, string reason, double latencyMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Server} is UP for {Service} at the first check: {Reason} ({LatencyMs:0} ms)")]
    private static partial void LogFirstUp(ILogger logger, string server, string service, string reason, double latencyMs);
}
