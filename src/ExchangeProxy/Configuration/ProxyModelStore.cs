using Microsoft.Extensions.Primitives;

namespace ExchangeProxy.Configuration;

/// <summary>
/// Holds the last good <see cref="ProxyModel"/>. Every configuration reload is validated; a bad one is
/// logged key by key and refused, so the proxy keeps running on what it had.
/// </summary>
public sealed partial class ProxyModelStore : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly ILogger<ProxyModelStore> _logger;
    private readonly TimeProvider _time;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();

    public ProxyModelStore(ProxyModel initial, IConfiguration configuration, ILogger<ProxyModelStore> logger, TimeProvider time)
    {
        Current = initial;
        _configuration = configuration;
        _logger = logger;
        _time = time;
        LastLoaded = time.GetUtcNow();
        _subscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    public ProxyModel Current { get; private set; }

    public DateTimeOffset LastLoaded { get; private set; }

    public DateTimeOffset? LastRejected { get; private set; }

    public IReadOnlyList<ConfigError> LastErrors { get; private set; } = [];

    /// <summary>Fires when <see cref="Current"/> is replaced.</summary>
    public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

    /// <summary>The file changed but is not valid JSON: nothing of it was applied.</summary>
    public void RejectUnreadableFile(string path, Exception problem)
    {
        lock (_gate)
        {
            LastRejected = _time.GetUtcNow();
            LastErrors = [new ConfigError(path, problem.Message)];
        }

        LogRejected(_logger, path, problem.Message);
    }

    private void Reload()
    {
        var result = ProxyModelLoader.Load(_configuration);
        CancellationTokenSource fired;
        lock (_gate)
        {
            if (result.Model is null)
            {
                LastRejected = _time.GetUtcNow();
                LastErrors = result.Errors;
                foreach (var error in result.Errors)
                {
                    LogRejected(_logger, error.Key, error.Message);
                }

                return;
            }

            if (SameModel(result.Model, Current))
            {
                return;
            }

            Current = result.Model;
            LastLoaded = _time.GetUtcNow();
            LastErrors = [];
            fired = _changed;
            _changed = new CancellationTokenSource();
        }

        LogReloaded(_logger, result.Model.Servers.Count, result.Model.Services.Count);
        fired.Cancel();
        fired.Dispose();
    }

    // Records compare lists by reference; the file watcher often fires several times for one save.
    private static bool SameModel(ProxyModel a, ProxyModel b) =>
        a.Servers.SequenceEqual(b.Servers)
        && a.TrustedProxies.SequenceEqual(b.TrustedProxies)
        && a.Services.Count == b.Services.Count
        && a.Services.Zip(b.Services).All(p => p.First with { Servers = p.Second.Servers } == p.Second
                                               && p.First.Servers.SequenceEqual(p.Second.Servers));

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration change rejected, keeping the last good configuration: {Key}: {Problem}")]
    private static partial void LogRejected(ILogger logger, string key, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded: {ServerCount} servers, {ServiceCount} services")]
    private static partial void LogReloaded(ILogger logger, int serverCount, int serviceCount);

    public void Dispose()
    {
        _subscription.Dispose();
        _changed.Dispose();
    }
}
