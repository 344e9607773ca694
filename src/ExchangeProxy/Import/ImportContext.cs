using System.Text.Json.Nodes;

namespace ExchangeProxy.Import;

/// <summary>What the mappings share while they build the proxy's configuration from the HAProxy file.</summary>
public sealed class ImportContext
{
    public ImportContext(string baseDirectory)
    {
        BaseDirectory = baseDirectory;
        Servers = new ServerRegistry(Report);
    }

    /// <summary>Where relative certificate paths are read from (the HAProxy file's directory; crt-base overrides).</summary>
    public string BaseDirectory { get; }

    public ImportReport Report { get; } = new();

    public ServerRegistry Servers { get; }

    public List<HaproxyProxy> Proxies { get; } = [];

    public Dictionary<string, List<HaproxyUser>> Userlists { get; } = new(StringComparer.Ordinal);

    public string? CertificateBase { get; set; }

    public string? CaBase { get; set; }

    /// <summary>From global <c>ssl-default-bind-options</c>: the oldest TLS version the listeners accept.</summary>
    public Setting<string>? MinimumTls { get; set; }

    /// <summary>The ExchangeProxy section's settings outside services, listeners and servers.</summary>
    public JsonObject Globals { get; } = [];

    public JsonObject Services { get; } = [];

    public JsonObject Listeners { get; } = [];

    public JsonObject Endpoints { get; } = [];

    public JsonObject KestrelLimits { get; } = [];

    public JsonObject? Admin { get; set; }

    public JsonObject InternalOnly { get; } = [];

    /// <summary>Names clients reach Exchange by, in the order the file gives them; the first is the Namespace.</summary>
    public List<(string Name, HaproxyLine Line)> Namespaces { get; } = [];

    public HaproxyProxy? Backend(string name) => Proxies.FirstOrDefault(p => p.IsBackend && p.Name == name);

    /// <summary>A path from the HAProxy file, made absolute as HAProxy would (a base directory, else the file's directory).</summary>
    public string PathOf(string path, string? haproxyBase) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(haproxyBase ?? BaseDirectory, path));
}
