using Microsoft.Extensions.Primitives;

namespace ExchangeProxy.Configuration;

/// <summary>
/// Holds the last good <see cref="ProxyModel"/> and the <see cref="AcceptedConfiguration"/> it came from. Every
/// change of the live configuration is checked whole, as at start (<see cref="ConfigCheck"/>: every section,
/// the operator's own routes, the listener certificates); a bad one is logged key by key and changes nothing,
/// a good one replaces the model and then the accepted configuration, whatever section it touched.
/// </summary>
public sealed partial class ProxyModelStore : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly bool _checkListenerCertificates;
    private readonly ILogger<ProxyModelStore> _logger;
    private readonly TimeProvider _time;
    private readonly IDisposable _subscription;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();
    private Task _lastReload = Task.CompletedTask;

    public ProxyModelStore(ProxyModel initial, AcceptedConfiguration accepted, IConfiguration configuration, bool checkListenerCertificates,
        ILogger<ProxyModelStore> logger, TimeProvider time)
    {
        Current = initial;
        Accepted = accepted;
        _configuration = configuration;
        _checkListenerCertificates = checkListenerCertificates;
        _logger = logger;
        _time = time;
        LastLoaded = time.GetUtcNow();
        _subscription = Microsoft.Extensions.Primitives.ChangeToken.OnChange(configuration.GetReloadToken, () => _lastReload = ReloadAsync());
    }

    public ProxyModel Current { get; private set; }

    public AcceptedConfiguration Accepted { get; }

    public DateTimeOffset LastLoaded { get; private set; }

    public DateTimeOffset? LastRejected { get; private set; }

    public IReadOnlyList<ConfigError> LastErrors { get; private set; } = [];

    /// <summary>Fires when <see cref="Current"/> is replaced.</summary>
    public IChangeToken ChangeToken => new CancellationChangeToken(_changed.Token);

    /// <summary>
    /// Raised with a model that passed every check, before anything takes it up: the proxy's own listeners
    /// declare their Kestrel endpoints for it (see <see cref="ProxyEndpoints"/>).
    /// </summary>
    public event Action<ProxyModel>? Accepting;

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

    private async Task ReloadAsync()
    {
        await _reloading.WaitAsync();
        try
        {
            var live = AcceptedConfiguration.Flatten(_configuration);
            if (Accepted.Holds(live))
            {
                return;
            }

            var result = await ConfigCheck.RunAsync(_configuration, _checkListenerCertificates);
            if (result.Model is not { } model)
            {
                Reject(result.Errors);
                return;
            }

            var untilRestart = Accepted.ChangedUntilRestart(live);
            Accepting?.Invoke(model);
            CancellationTokenSource fired;
            lock (_gate)
            {
                Current = model;
                LastErrors = [];
                fired = _changed;
                _changed = new CancellationTokenSource();
            }

            fired.Cancel();
            fired.Dispose();
            Accepted.Accept(live, model);
            LogReloaded(_logger, model.Servers.Count, model.Services.Count, model.TcpServices.Count);
            if (untilRestart.Count > 0)
            {
                LogNeedsRestart(_logger, untilRestart);
            }

            // Last: whoever waits for a reload finds everything of it done.
            LastLoaded = _time.GetUtcNow();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A reload runs on the file watcher's thread: what escapes here would end the process.
            Reject([new ConfigError("(reload)", e.Message)]);
        }
        finally
        {
            _reloading.Release();
        }
    }

    private void Reject(IReadOnlyList<ConfigError> errors)
    {
        lock (_gate)
        {
            LastRejected = _time.GetUtcNow();
            LastErrors = errors;
        }

        foreach (var error in errors)
        {
            LogRejected(_logger, error.Key, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration change rejected, nothing of it applied, keeping the last good configuration: {Key}: {Problem}")]
    private static partial void LogRejected(ILogger logger, string key, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration reloaded: {ServerCount} servers, {ServiceCount} services, {ListenerCount} layer-4 listeners")]
    private static partial void LogReloaded(ILogger logger, int serverCount, int serviceCount, int listenerCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration reloaded, but {Keys} are read at start only: they take effect at the next restart")]
    private static partial void LogNeedsRestart(ILogger logger, IReadOnlyList<string> keys);

    public void Dispose()
    {
        _subscription.Dispose();
        _lastReload.Wait(TimeSpan.FromSeconds(5));
        _changed.Dispose();
        _reloading.Dispose();
    }
}
