using System.Text.Json;
using System.Text.Json.Serialization;

namespace ExchangeProxy.Admin;

/// <summary>
/// The operator's drain/maint/ready per server, for all services or one, kept in a small JSON file so it
/// survives a restart. A change is written (atomically) before it takes effect: if the file cannot be
/// written, nothing changes and the caller hears why.
/// </summary>
public sealed partial class MaintenanceStates
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly Lock _lock = new();
    private readonly ILogger<MaintenanceStates> _logger;
    private Dictionary<string, ServerMaintenance> _servers = new(StringComparer.OrdinalIgnoreCase);

    public MaintenanceStates(ILogger<MaintenanceStates> logger) => _logger = logger;

    /// <summary>The state file; null until <see cref="Open"/> (the configuration check never opens one).</summary>
    public string? Path { get; private set; }

    /// <summary>Reads the states kept in <paramref name="path"/>, where changes will be written.</summary>
    public void Open(string path)
    {
        Path = path;
        Load();
    }

    /// <summary>Raised after a change, with the server it concerns.</summary>
    public event Action<string>? Changed;

    public AdminState For(string service, string server)
    {
        var servers = _servers;
        return servers.TryGetValue(server, out var maintenance)
            ? maintenance.Services.GetValueOrDefault(service, maintenance.All)
            : AdminState.Ready;
    }

    /// <summary>Sets the state for all of the server's services (clearing per-service ones) or for one.</summary>
    /// <exception cref="IOException">The state file could not be written; nothing changed.</exception>
    public void Set(string server, string? service, AdminState state)
    {
        lock (_lock)
        {
            var next = new Dictionary<string, ServerMaintenance>(_servers, StringComparer.OrdinalIgnoreCase);
            var current = next.GetValueOrDefault(server) ?? new ServerMaintenance();
            var services = new Dictionary<string, AdminState>(current.Services, StringComparer.OrdinalIgnoreCase);
            ServerMaintenance updated;
            if (service is null)
            {
                updated = new ServerMaintenance { All = state };
            }
            else
            {
                services[service] = state;
                updated = new ServerMaintenance { All = current.All, Services = services };
            }

            if (updated.All == AdminState.Ready && updated.Services.Values.All(s => s == AdminState.Ready))
            {
                next.Remove(server);
            }
            else
            {
                next[server] = updated;
            }

            Save(next);
            _servers = next;
        }

        LogSet(_logger, server, service ?? "all services", state);
        Changed?.Invoke(server);
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
            _servers = (file?.Servers ?? []).ToDictionary(
                s => s.Key,
                s => new ServerMaintenance { All = s.Value.All, Services = new(s.Value.Services, StringComparer.OrdinalIgnoreCase) },
                StringComparer.OrdinalIgnoreCase);
            foreach (var (server, maintenance) in _servers)
            {
                LogLoaded(_logger, server, maintenance.All, string.Join(", ", maintenance.Services.Select(s => $"{s.Key} {s.Value}")));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server {Server} is {State} from the state file (per service: {Services})")]
    private static partial void LogLoaded(ILogger logger, string server, AdminState state, string services);

    [LoggerMessage(Level = LogLevel.Error, Message = "State file {Path} is unreadable ({Reason}); every server starts ready")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    private sealed class StateFile
    {
        public Dictionary<string, ServerMaintenance> Servers { get; set; } = [];
    }

    private sealed class ServerMaintenance
    {
        public AdminState All { get; set; }

        public Dictionary<string, AdminState> Services { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
