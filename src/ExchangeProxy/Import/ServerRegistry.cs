using System.Text.Json.Nodes;

namespace ExchangeProxy.Import;

/// <summary>
/// The one server list the proxy keeps, built from every backend's <c>server</c> lines: a CAS server in several
/// backends is listed once. At layer 4 only its host counts (each pool has its own port); at layer 7 its scheme
/// and port do too, so the same host on another port or without TLS is another entry.
/// </summary>
public sealed class ServerRegistry(ImportReport report)
{
    private readonly List<Entry> _entries = [];

    /// <returns>The name the proxy's configuration knows the server by.</returns>
    public string Register(HaproxyServer server, bool layer7)
    {
        var endpoint = server.Endpoint!;
        var tls = server.Options.Ssl == true;
        var port = endpoint.Port ?? (tls ? 443 : 80);
        var entry = _entries.FirstOrDefault(e => string.Equals(e.Host, endpoint.Host, StringComparison.OrdinalIgnoreCase)
            && (!layer7 || e.Layer7 is null || (e.Layer7 == tls && e.Port == port)));
        if (entry is null)
        {
            entry = new Entry(ImportNames.Unique(ImportNames.Of(server.Name), _entries.Select(e => e.Name)), endpoint.Host, server.Options.Weight ?? 1, server.Line);
            _entries.Add(entry);
        }
        else if ((server.Options.Weight ?? 1) != entry.Weight)
        {
            report.Approximated(server.Line,
                $"weight {server.Options.Weight ?? 1}: a server has one weight in every service; kept {entry.Weight} from line {entry.Line.Number}");
        }

        if (layer7 && entry.Layer7 is null)
        {
            entry.Layer7 = tls;
            entry.Port = port;
        }

        return entry.Name;
    }

    public JsonArray ToJson() => new([.. _entries.Select(e => (JsonNode)Json(e))]);

    private static JsonObject Json(Entry entry)
    {
        var host = new HaproxyEndpoint(entry.Host, null).HostForUrl;
        var address = entry.Layer7 switch
        {
            false => entry.Port == 80 ? $"http://{host}" : $"http://{host}:{entry.Port}",
            true when entry.Port != 443 => $"{host}:{entry.Port}",
            _ => host,
        };
        var json = new JsonObject { ["Name"] = entry.Name, ["Address"] = address };
        if (entry.Weight != 1)
        {
            json["Weight"] = entry.Weight;
        }

        return json;
    }

    private sealed class Entry(string name, string host, int weight, HaproxyLine line)
    {
        public string Name { get; } = name;

        public string Host { get; } = host;

        public int Weight { get; } = weight;

        public HaproxyLine Line { get; } = line;

        /// <summary>Null while only layer 4 uses it; else whether layer 7 reaches it over TLS.</summary>
        public bool? Layer7 { get; set; }

        public int Port { get; set; }
    }
}
