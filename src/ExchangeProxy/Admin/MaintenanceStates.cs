using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExchangeProxy.Admin;

/// <summary>
/// The operator's drain/maint/ready and runtime weights per server, for all services or one, kept in a small
/// JSON file so they survive a restart. A change is written (atomically) before it takes effect: if the file
/// cannot be written, nothing changes and the caller hears why. With a Redis, <see cref="SharedMaintenance"/>
/// brings in what other instances decided (<see cref="Adopt"/>) and hands them this instance's decisions.
/// </summary>
public sealed partial class MaintenanceStates
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly Lock _lock = new();
    private readonly ILogger<MaintenanceStates> _logger;
    private readonly TimeProvider _time;
    private Dictionary<string, ServerMaintenance> _servers = new(StringComparer.OrdinalIgnoreCase);

    public MaintenanceStates(ILogger<MaintenanceStates> logger, TimeProvider time)
    {
        _logger = logger;
        _time = time;
    }

    /// <summary>The state file; null until <see cref="Open"/> (the configuration check never opens one).</summary>
    public string? Path { get; private set; }

    /// <summary>Every server's record, as now.</summary>
    public IReadOnlyDictionary<string, ServerMaintenance> Servers => _servers;

    /// <summary>Reads the states kept in <paramref name="path"/>, where changes will be written.</summary>
    public void Open(string path)
    {
        Path = path;
        Load();
    }

    /// <summary>Raised after a change (the operator's, or one adopted from another instance), with the server it concerns.</summary>
    public event Action<string>? Changed;

    /// <summary>Raised after the operator changed a server on this instance.</summary>
    public event Action<string>? Decided;

    public AdminState For(string service, string server) =>
        _servers.TryGetValue(server, out var maintenance) ? maintenance.StateFor(service) : AdminState.Ready;

    /// <summary>The runtime weight of the server in the service, or <paramref name="configured"/> when none is set.</summary>
    public int WeightOf(string service, string server, int configured) =>
        _servers.Count > 0 && _servers.TryGetValue(server, out var maintenance) && maintenance.WeightFor(service) is { } weight
            ? weight
            : configured;

    /// <summary>Whether any runtime weight is set: the balancers look up weights only then.</summary>
    public bool HasWeights { get; private set; }

    /// <summary>Sets the state for all of the server's services (clearing per-service ones) or for one.</summary>
    /// <exception cref="IOException">The state file could not be written; nothing changed.</exception>
    public void Set(string server, string? service, AdminState state)
    {
        Change(server, current => service is null
            ? current with { All = state, Services = new(StringComparer.OrdinalIgnoreCase) }
            : current with { Services = new(current.Services, StringComparer.OrdinalIgnoreCase) { [service] = state } });
        LogSet(_logger, server, service ?? "all services", state);
    }

    /// <summary>Sets the runtime weight for all of the server's services (clearing per-service ones) or for one; null: back to the configured weight.</summary>
    /// <exception cref="IOException">The state file could not be written; nothing changed.</exception>
    public void SetWeight(string server, string? service, int? weight)
    {
        Change(server, current =>
        {
            if (service is null)
            {
                return current with { Weight = weight, Weights = new(StringComparer.OrdinalIgnoreCase) };
            }

            var weights = new Dictionary<string, int>(current.Weights, StringComparer.OrdinalIgnoreCase);
            if (weight is { } value)
            {
                weights[service] = value;
            }
            else
            {
                weights.Remove(service);
            }

            return current with { Weights = weights };
        });
        LogWeight(_logger, server, service ?? "all services", weight?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the configured weight");
    }

    /// <summary>Takes another instance's record when it is newer than this one's; returns whether it did.</summary>
    public bool Adopt(string server, ServerMaintenance record)
    {
        lock (_lock)
        {
            if (_servers.TryGetValue(server, out var current) && current.Stamp >= record.Stamp)
            {
                return false;
            }

            var next = new Dictionary<string, ServerMaintenance>(_servers, StringComparer.OrdinalIgnoreCase) { [server] = record.Normalized() };
            try
            {
                Save(next);
            }
            catch (IOException e)
            {
                // Applied all the same: the instances agree, and the next change retries the file.
                LogUnsaved(_logger, server, e.Message);
            }

            Publish(next);
        }

        LogAdopted(_logger, server, record.Summary());
        Changed?.Invoke(server);
        return true;
    }

    private void Change(string server, Func<ServerMaintenance, ServerMaintenance> change)
    {
        lock (_lock)
        {
            var current = _servers.GetValueOrDefault(server) ?? new ServerMaintenance();
            // Later than the record it replaces even if the clock stepped back, so that it wins everywhere.
            var stamp = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), current.Stamp + 1);
            var next = new Dictionary<string, ServerMaintenance>(_servers, StringComparer.OrdinalIgnoreCase)
            {
                [server] = change(current) with { Stamp = stamp },
            };
            Save(next);
            Publish(next);
        }

        Changed?.Invoke(server);
        Decided?.Invoke(server);
    }

    private void Publish(Dictionary<string, ServerMaintenance> servers)
    {
        HasWeights = servers.Values.Any(s => s.Weight is not null || s.Weights.Count > 0);
        _servers = servers;
    }

    private void Load()
    {
        if (Path is null || !File.Exists(Path))
        {
            return;
        }

        try
        {
            var file = JsonSerializer.Deserialize<StateFile>(File.ReadAllText(Path), Json);
            Publish((file?.Servers ?? []).ToDictionary(s => s.Key, s => s.Value.Normalized(), StringComparer.OrdinalIgnoreCase));
            foreach (var (server, maintenance) in _servers)
            {
                LogLoaded(_logger, server, maintenance.Summary());
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            // Starting with every server ready is what a lost file means; refusing to start would keep the
            // operator's other servers out of service too.
            LogUnreadable(_logger, Path, e.Message);
        }
    }

    private void Save(Dictionary<string, ServerMaintenance> servers)
    {
        if (Path is null)
        {
            throw new IOException("no state file is open");
        }

        try
        {
            var temporary = Path + ".tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(new StateFile { Servers = servers }, Json));
            File.Move(temporary, Path, overwrite: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot write the state file {Path}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot write the state file {Path}: {e.Message}", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Server} set to {State} for {Service}")]
    private static partial void LogSet(ILogger logger, string server, string service, AdminState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Server} weight set to {Weight} for {Service}")]
    private static partial void LogWeight(ILogger logger, string server, string service, string weight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Server} is {State} from the state file")]
    private static partial void LogLoaded(ILogger logger, string server, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Server} is {State}, as another instance decided")]
    private static partial void LogAdopted(ILogger logger, string server, string state);

    [LoggerMessage(Level = LogLevel.Error, Message = "State of server {Server} from another instance applied but not saved: {Reason}")]
    private static partial void LogUnsaved(ILogger logger, string server, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "State file {Path} is unreadable ({Reason}); every server starts ready")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    private sealed class StateFile
    {
        public Dictionary<string, ServerMaintenance> Servers { get; set; } = [];
    }
}
