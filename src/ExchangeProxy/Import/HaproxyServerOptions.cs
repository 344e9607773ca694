using System.Globalization;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>The options of a <c>server</c> or <c>default-server</c> line; a server's own override its default-server's.</summary>
public sealed record HaproxyServerOptions
{
    // Options that take a value, with what becomes of them when nothing more specific is said below.
    private static readonly Dictionary<string, (ImportVerdict Verdict, string Note)> Valued = new(StringComparer.Ordinal)
    {
        ["fastinter"] = (ImportVerdict.Approximated, "one check interval (inter) in every state"),
        ["downinter"] = (ImportVerdict.Approximated, "one check interval (inter) in every state"),
        ["maxconn"] = (ImportVerdict.NotSupported, "no per-server connection limit or queue: Weight spreads the load; MaxConnections limits the listener"),
        ["maxqueue"] = (ImportVerdict.NotSupported, "no queue: requests beyond the limits are refused, not queued"),
        ["minconn"] = (ImportVerdict.NotSupported, "no dynamic per-server limit: use Weight"),
        ["slowstart"] = (ImportVerdict.NotSupported, "a server that comes back takes its full share at once; raise Rise to wait longer before it does"),
        ["cookie"] = (ImportVerdict.NotSupported, "no cookie persistence: use Affinity (Mode ClientIp), or none (Exchange 2013+ needs none)"),
        ["observe"] = (ImportVerdict.Approximated, "live traffic that cannot connect takes the server out at once (always on)"),
        ["on-error"] = (ImportVerdict.Approximated, "live traffic that cannot connect takes the server out at once (always on)"),
        ["error-limit"] = (ImportVerdict.Approximated, "live traffic that cannot connect takes the server out at once (always on)"),
        ["on-marked-down"] = (ImportVerdict.Approximated, "a DOWN server's requests in flight finish; Windows-auth pinned connections to it are closed"),
        ["on-marked-up"] = (ImportVerdict.Approximated, "a server that comes back takes new clients; stuck clients stay where they moved"),
        ["resolvers"] = (ImportVerdict.Approximated, "host names are resolved by the system when connecting"),
        ["resolve-prefer"] = (ImportVerdict.Approximated, "host names are resolved by the system when connecting"),
        ["resolve-net"] = (ImportVerdict.Approximated, "host names are resolved by the system when connecting"),
        ["resolve-opts"] = (ImportVerdict.Approximated, "host names are resolved by the system when connecting"),
        ["init-addr"] = (ImportVerdict.Approximated, "host names are resolved by the system when connecting"),
        ["id"] = (ImportVerdict.Mapped, "servers are named, not numbered"),
        ["ssl-min-ver"] = (ImportVerdict.Approximated, "TLS to the servers follows the system's policy (OpenSSL)"),
        ["ssl-max-ver"] = (ImportVerdict.Approximated, "TLS to the servers follows the system's policy (OpenSSL)"),
        ["ciphers"] = (ImportVerdict.Approximated, "TLS to the servers follows the system's policy (OpenSSL)"),
        ["ciphersuites"] = (ImportVerdict.Approximated, "TLS to the servers follows the system's policy (OpenSSL)"),
        ["curves"] = (ImportVerdict.Approximated, "TLS to the servers follows the system's policy (OpenSSL)"),
        ["sigalgs"] = (ImportVerdict.Approximated, "TLS to the servers follows the system's policy (OpenSSL)"),
        ["alpn"] = (ImportVerdict.Approximated, "the proxy speaks HTTP/1.1 to the servers (Windows auth is connection-bound)"),
        ["check-alpn"] = (ImportVerdict.Approximated, "probes speak HTTP/1.1"),
        ["proto"] = (ImportVerdict.Approximated, "the proxy speaks HTTP/1.1 to the servers"),
        ["pool-max-conn"] = (ImportVerdict.Approximated, "server connections are pooled by the proxy's HTTP client"),
        ["pool-purge-delay"] = (ImportVerdict.Approximated, "server connections are pooled by the proxy's HTTP client"),
        ["pool-low-conn"] = (ImportVerdict.Approximated, "server connections are pooled by the proxy's HTTP client"),
        ["max-reuse"] = (ImportVerdict.Approximated, "server connections are pooled by the proxy's HTTP client"),
        ["agent-port"] = (ImportVerdict.NotSupported, "no agent checks: Exchange's healthcheck.htm says when a protocol is out"),
        ["agent-inter"] = (ImportVerdict.NotSupported, "no agent checks: Exchange's healthcheck.htm says when a protocol is out"),
        ["agent-addr"] = (ImportVerdict.NotSupported, "no agent checks: Exchange's healthcheck.htm says when a protocol is out"),
        ["agent-send"] = (ImportVerdict.NotSupported, "no agent checks: Exchange's healthcheck.htm says when a protocol is out"),
        ["addr"] = (ImportVerdict.NotSupported, "probes go to the server's own address; list the address that answers them"),
        ["track"] = (ImportVerdict.NotSupported, "each service probes each server itself (Exchange's per-protocol health)"),
        ["source"] = (ImportVerdict.NotSupported, "the system chooses the source address of server connections"),
        ["usesrc"] = (ImportVerdict.NotSupported, "no transparent proxying: the servers see the proxy's address (X-Forwarded-For at layer 7)"),
        ["namespace"] = (ImportVerdict.NotSupported, "run the proxy in that network namespace instead"),
        ["crt"] = (ImportVerdict.NotSupported, "no client certificate is presented to the servers"),
        ["crl-file"] = (ImportVerdict.NotSupported, "the servers' certificates are checked without revocation"),
        ["sni"] = (ImportVerdict.Mapped, "the proxy sends the client's Host (probes: Namespace) as the server name"),
        ["check-sni"] = (ImportVerdict.Mapped, "probes send Namespace as the server name"),
        ["check-proto"] = (ImportVerdict.Approximated, "probes speak HTTP/1.1"),
        ["send-proxy-v2-options"] = (ImportVerdict.Approximated, "a PROXY v2 header carries the addresses only"),
        ["proxy-v2-options"] = (ImportVerdict.Approximated, "a PROXY v2 header carries the addresses only"),
        ["log-proto"] = (ImportVerdict.Approximated, "no log servers: the proxy logs to standard output"),
        ["shard"] = (ImportVerdict.Approximated, "no peers: instances share stick tables through Redis"),
        ["hash-key"] = (ImportVerdict.Approximated, "SourceHash hashes the client address over the servers' names"),
        ["redir"] = (ImportVerdict.NotSupported, "the proxy does not redirect clients to a server"),
        ["ws"] = (ImportVerdict.Approximated, "WebSocket upgrades are forwarded as HTTP/1.1"),
        ["guid"] = (ImportVerdict.Mapped, "servers are named, not numbered"),
    };

    public bool? Check { get; init; }

    public bool? Backup { get; init; }

    public bool? Disabled { get; init; }

    public bool? Ssl { get; init; }

    public bool? CheckSsl { get; init; }

    public string? Verify { get; init; }

    public string? CaFile { get; init; }

    public ProxyProtocolVersion? SendProxy { get; init; }

    public int? CheckPort { get; init; }

    public TimeSpan? Inter { get; init; }

    public int? Rise { get; init; }

    public int? Fall { get; init; }

    public int? Weight { get; init; }

    /// <summary>A name given to <c>sni str(...)</c> or <c>check-sni</c>: the namespace the servers are reached by.</summary>
    public string? ServerName { get; init; }

    public HaproxyServerOptions Over(HaproxyServerOptions defaults) => new()
    {
        Check = Check ?? defaults.Check,
        Backup = Backup ?? defaults.Backup,
        Disabled = Disabled ?? defaults.Disabled,
        Ssl = Ssl ?? defaults.Ssl,
        CheckSsl = CheckSsl ?? defaults.CheckSsl,
        Verify = Verify ?? defaults.Verify,
        CaFile = CaFile ?? defaults.CaFile,
        SendProxy = SendProxy ?? defaults.SendProxy,
        CheckPort = CheckPort ?? defaults.CheckPort,
        Inter = Inter ?? defaults.Inter,
        Rise = Rise ?? defaults.Rise,
        Fall = Fall ?? defaults.Fall,
        Weight = Weight ?? defaults.Weight,
        ServerName = ServerName ?? defaults.ServerName,
    };

    /// <param name="words">The options, after the server's name and address (or after <c>default-server</c>).</param>
    public static HaproxyServerOptions Parse(IReadOnlyList<string> words, HaproxyLine line, LineNotes notes)
    {
        var options = new HaproxyServerOptions();
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            string Value() => ++i < words.Count ? words[i] : throw new HaproxyImportException(line.Number, $"'{word}' expects a value");
            switch (word)
            {
                case "check":
                    options = options with { Check = true };
                    break;
                case "no-check":
                    options = options with { Check = false };
                    break;
                case "backup":
                    options = options with { Backup = true };
                    break;
                case "no-backup":
                    options = options with { Backup = false };
                    break;
                case "disabled":
                    options = options with { Disabled = true };
                    break;
                case "enabled":
                    options = options with { Disabled = false };
                    break;
                case "ssl":
                    options = options with { Ssl = true };
                    break;
                case "no-ssl":
                    options = options with { Ssl = false };
                    break;
                case "check-ssl":
                    options = options with { CheckSsl = true };
                    break;
                case "no-check-ssl":
                    options = options with { CheckSsl = false };
                    break;
                case "verify":
                    var verify = Value();
                    options = verify is "none" or "required" ? options with { Verify = verify }
                        : throw new HaproxyImportException(line.Number, $"'verify {verify}': expected none or required");
                    break;
                case "ca-file":
                    options = options with { CaFile = Value() };
                    break;
                case "send-proxy":
                    options = options with { SendProxy = ProxyProtocolVersion.V1 };
                    break;
                case "send-proxy-v2":
                    options = options with { SendProxy = ProxyProtocolVersion.V2 };
                    break;
                case "send-proxy-v2-ssl" or "send-proxy-v2-ssl-cn":
                    options = options with { SendProxy = ProxyProtocolVersion.V2 };
                    notes.Add(ImportVerdict.Approximated, $"{word}: a PROXY v2 header without the TLS details");
                    break;
                case "port":
                    options = options with { CheckPort = Number(Value(), 1, 65535, word, line) };
                    break;
                case "inter":
                    options = options with { Inter = HaproxyDuration.Parse(Value(), line) };
                    break;
                case "rise":
                    options = options with { Rise = Number(Value(), 1, int.MaxValue, word, line) };
                    break;
                case "fall":
                    options = options with { Fall = Number(Value(), 1, int.MaxValue, word, line) };
                    break;
                case "weight":
                    options = options with { Weight = Number(Value(), 0, 256, word, line) };
                    break;
                case "sni" or "check-sni":
                    var name = Value();
                    if (name.StartsWith("str(", StringComparison.Ordinal) && name.EndsWith(')'))
                    {
                        name = name[4..^1];
                    }

                    if (word == "check-sni" || !name.Contains('(', StringComparison.Ordinal))
                    {
                        options = options with { ServerName = name };
                    }

                    notes.Add(Valued[word].Verdict, Valued[word].Note);
                    break;
                case "check-send-proxy":
                    notes.Add(ImportVerdict.Approximated, "probes send no PROXY header");
                    break;
                case "agent-check":
                    notes.Add(ImportVerdict.NotSupported, "no agent checks: Exchange's healthcheck.htm says when a protocol is out");
                    break;
                case "tfo" or "no-tls-tickets" or "no-sslv3" or "no-tlsv10" or "no-tlsv11" or "no-tlsv12" or "no-tlsv13" or "force-sslv3"
                    or "force-tlsv10" or "force-tlsv11" or "force-tlsv12" or "force-tlsv13" or "allow-0rtt" or "no-agent-check"
                    or "no-send-proxy" or "no-send-proxy-v2" or "no-verifyhost" or "check-via-socks4" or "non-stick" or "stick":
                    notes.Add(ImportVerdict.Approximated, $"{word}: TLS and connections to the servers follow the system's policy");
                    break;
                default:
                    if (Valued.TryGetValue(word, out var known))
                    {
                        Value();
                        notes.Add(known.Verdict, $"{word}: {known.Note}");
                    }
                    else
                    {
                        notes.Add(ImportVerdict.NotSupported, $"'{word}' is not a server option the importer knows; check what it does and whether the proxy needs an equivalent");
                    }

                    break;
            }
        }

        return options;
    }

    private static int Number(string text, int min, int max, string keyword, HaproxyLine line) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value
            : throw new HaproxyImportException(line.Number, $"'{keyword} {text}': expected a whole number from {min} to {max}");
}
