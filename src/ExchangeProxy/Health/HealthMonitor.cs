using ExchangeProxy.Configuration;
using ExchangeProxy.Http;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Health;

/// <summary>
/// Probes every server of every service on its own timer (a DOWN server too, at the same interval), records
/// the results with rise/fall, logs each state change once with its reason and latency, and hands the state to
/// YARP's destination health, so only the failed service's traffic leaves the server.
/// </summary>
public sealed partial class HealthMonitor(
    ProxyModelStore models,
    HealthStates states,
    Probes probes,
    IProxyStateLookup proxyState,
    IDestinationHealthUpdater updater,
    ListenerCertificates certificates,
    TimeProvider time,
    ILogger<HealthMonitor> logger) : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);
    private readonly Dictionary<ServerStatus, CancellationTokenSource> _loops = [];
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

    private void Follow()
    {
        var model = models.Current;
        var statuses = states.Apply(model);
        lock (_lock)
        {
            foreach (var gone in _loops.Keys.Except(statuses).ToList())
            {
                _loops.Remove(gone, out var cancel);
                cancel!.Cancel();
                cancel.Dispose();
            }

            foreach (var status in statuses.Where(s => !_loops.ContainsKey(s)))
            {
                var pool = model.Pools.First(s => string.Equals(s.Name, status.Service, StringComparison.OrdinalIgnoreCase));
                var server = pool.Servers.First(s => string.Equals(s.Name, status.Server, StringComparison.OrdinalIgnoreCase));
                var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
                _loops[status] = cancel;
                var layer7 = model.Services.Any(s => string.Equals(s.Name, pool.Name, StringComparison.OrdinalIgnoreCase));
                _ = ProbeLoopAsync(status, pool.AddressOf(server), pool.AcceptAnyServerCertificate, layer7, cancel.Token);
            }
        }
    }

    private async Task ProbeLoopAsync(ServerStatus status, Uri address, bool acceptAnyCertificate, bool layer7, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var check = status.Check;
                if (check.Type != CheckType.None)
                {
                    var result = await probes.CheckAsync(check, address, acceptAnyCertificate, cancellationToken);
                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    if (status.Record(result) is { } changed)
                    {
                        LogChange(status, changed, result);
                    }

                    if (layer7 && certificates.MismatchOf(address, probes.CertificateOf(address)) is { } mismatch
                        && _warned.TryAdd($"{status.Server}|{mismatch}", 0))
                    {
                        LogExtendedProtection(logger, status.Server, mismatch);
                    }
                }

                Publish(status);
                await Task.Delay(check.Interval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>YARP's view follows ours, checked each round: clusters can appear after the probes start.</summary>
    private void Publish(ServerStatus status)
    {
        if (!proxyState.TryGetCluster(YarpModel.IdOf(status.Service), out var cluster)
            || !cluster.Destinations.TryGetValue(status.Server, out var destination))
        {
            return;
        }

        var health = status.State switch
        {
            ProbeState.Up => DestinationHealth.Healthy,
            ProbeState.Down => DestinationHealth.Unhealthy,
            _ => DestinationHealth.Unknown,
        };
        if (destination.Health.Active != health)
        {
            updater.SetActive(cluster, [new NewActiveDestinationHealth(destination, health)]);
        }
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
            foreach (var cancel in _loops.Values)
            {
                cancel.Cancel();
                cancel.Dispose();
            }

            _loops.Clear();
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
