using System.Text.Json.Nodes;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>
/// Frontends and listens in <c>mode tcp</c> as layer-4 listeners: one per bound address, its pool from the default
/// backend, backends chosen by TLS server name (<c>req_ssl_sni</c>) as pools reached by <c>Sni</c>, source rules as
/// <c>AllowedClients</c>, PROXY protocol both ways.
/// </summary>
public static class TcpMapping
{
    public static void Map(IReadOnlyList<HaproxyProxy> frontends, ImportContext context)
    {
        var report = context.Report;
        var pools = new Dictionary<HaproxyProxy, string>();
        foreach (var frontend in frontends)
        {
            if (frontend.Mode is { } mode)
            {
                report.Mapped(mode.Line, "layer 4: bytes pass untouched");
            }

            var backend = frontend.DefaultBackend is { } named
                ? context.Backend(named.Value) ?? throw new HaproxyImportException(named.Line.Number, $"no backend named '{named.Value}'")
                : frontend.Kind == "listen" && frontend.Servers.Count > 0 ? frontend : null;
            if (backend is not null && !backend.IsTcp)
            {
                throw new HaproxyImportException(frontend.DefaultBackend?.Line.Number ?? frontend.Header.Number,
                    $"backend '{backend.Name}' is in mode http and this frontend in mode tcp");
            }

            if (frontend.DefaultBackend is { } defaultLine)
            {
                report.Mapped(defaultLine.Line, $"the listener's pool: the servers of '{backend!.Name}'");
            }

            var sni = Sni(frontend, pools, context);
            var names = new List<string>();
            foreach (var bind in frontend.Binds)
            {
                if (bind.Ssl)
                {
                    report.NotSupported(bind.Line, "TLS ended at layer 4: a layer-4 listener passes TLS through to Exchange; end TLS in mode http (layer 7) instead");
                    continue;
                }

                foreach (var endpoint in bind.Endpoints)
                {
                    var name = ImportNames.Unique(ImportNames.Of(frontend.Name), ReservedNames(context));
                    var listener = new JsonObject { ["Listen"] = endpoint.ToString() };
                    if (backend is null)
                    {
                        report.NotSupported(frontend.Header, "no default_backend: the listener takes the servers of its Sni pools only; add a default_backend");
                        listener["Servers"] = new JsonArray();
                    }
                    else
                    {
                        Pool(backend, listener, endpoint.Port!.Value, $"listener {name}", context);
                    }

                    Frontend(frontend, bind, listener, $"listener {name}", context);
                    if (sni.Count > 0)
                    {
                        listener["Sni"] = new JsonObject([.. sni.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))]);
                    }

                    context.Listeners[name] = listener;
                    names.Add(name);
                    report.Mapped(bind.Line, $"listener {name} on {endpoint}");
                }
            }

            report.Mapped(frontend.Header, names.Count == 0 ? "layer 4 (no listener)" : $"layer-4 listener {string.Join(", ", names)}");
        }
    }

    private static IEnumerable<string> ReservedNames(ImportContext context) =>
        context.Listeners.Select(l => l.Key).Concat(context.Services.Select(s => s.Key)).Concat(ExchangeVirtualDirectories.All.Select(v => v.Name));

    /// <summary>use_backend by TLS server name: each backend becomes a pool (a listener without Listen) the name leads to.</summary>
    private static Dictionary<string, string> Sni(HaproxyProxy frontend, Dictionary<HaproxyProxy, string> pools, ImportContext context)
    {
        var report = context.Report;
        var sni = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in frontend.RulesOf("use-backend"))
        {
            var backend = context.Backend(rule.Target!) ?? throw new HaproxyImportException(rule.Line.Number, $"no backend named '{rule.Target}'");
            foreach (var alternative in rule.Condition.Alternatives)
            {
                var names = alternative.Where(t => !t.Negated && t.IsOnly(MatchKind.Sni)).ToList();
                if (names.Count != 1 || alternative.Count != 1)
                {
                    Mark(rule, alternative, ImportVerdict.NotSupported, "at layer 4 a pool is chosen by TLS server name only (req_ssl_sni)", report);
                    continue;
                }

                if (!pools.TryGetValue(backend, out var pool))
                {
                    pool = ImportNames.Unique(ImportNames.Of(backend.Name), ReservedNames(context));
                    var json = new JsonObject();
                    var port = backend.Servers.FirstOrDefault(s => s.Serves)?.Endpoint?.Port
                        ?? frontend.Binds.SelectMany(b => b.Endpoints).FirstOrDefault()?.Port ?? 443;
                    Pool(backend, json, port, $"pool {pool}", context);
                    json["Port"] ??= port;
                    context.Listeners[pool] = json;
                    pools[backend] = pool;
                }

                var verdict = ImportVerdict.Mapped;
                var notes = new List<string>();
                foreach (var match in names[0].Matches)
                {
                    foreach (var value in match.Values)
                    {
                        var host = match.Method switch
                        {
                            "str" => value,
                            "end" or "dom" => "*." + value.TrimStart('*', '.'),
                            _ => null,
                        };
                        if (host is null)
                        {
                            verdict = ImportVerdict.NotSupported;
                            notes.Add($"-m {match.Method}: a server name is exact or *.domain");
                            continue;
                        }

                        if (match.Method == "end" && !value.StartsWith('.'))
                        {
                            verdict = ImportVerdict.Approximated;
                            notes.Add($"{value} read as *.{value.TrimStart('.')}");
                        }

                        sni.TryAdd(host.ToLowerInvariant(), pool);
                        notes.Add($"Sni {host} to pool {pool}");
                    }
                }

                Mark(rule, alternative, verdict, string.Join("; ", notes), report);
            }
        }

        return sni;
    }

    private static void Mark(HaproxyRule rule, IReadOnlyList<HaproxyTerm> terms, ImportVerdict verdict, string note, ImportReport report)
    {
        report.Mark(rule.Line, verdict, note);
        foreach (var line in terms.SelectMany(t => t.Lines))
        {
            report.Mark(line, verdict, note);
        }
    }

    /// <summary>The backend's side of a listener or pool: servers, their port, checks, server timeout, PROXY header to them.</summary>
    private static void Pool(HaproxyProxy backend, JsonObject json, int listenPort, string owner, ImportContext context)
    {
        var report = context.Report;
        if (backend.Kind == "backend")
        {
            report.Mapped(backend.Header, owner);
        }

        if (backend.Mode is { } mode)
        {
            report.Mapped(mode.Line, "layer 4: bytes pass untouched");
        }

        json["Servers"] = new JsonArray([.. BackendMapping.Servers(backend, layer7: false, context).Select(n => (JsonNode)n)]);
        var serving = backend.Servers.Where(s => s.Serves).ToList();
        var ports = serving.Select(s => s.Endpoint!.Port).Distinct().ToList();
        var port = ports.FirstOrDefault();
        if (port is { } fixedPort && fixedPort != listenPort)
        {
            json["Port"] = fixedPort;
        }

        if (ports.Count > 1)
        {
            foreach (var server in serving.Where(s => s.Endpoint!.Port != port))
            {
                report.Approximated(server.Line, $"a pool's servers share one port: {owner} uses {port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the listening port"}");
            }
        }
        else if (port is null && serving.Count > 0)
        {
            foreach (var server in serving)
            {
                report.Mapped(server.Line, "no port: the listening port, as HAProxy");
            }
        }

        BackendMapping.Common(backend, json, owner, context);
        if (backend.Timeouts.TryGetValue("server", out var serverTimeout))
        {
            json["ServerTimeout"] = HaproxyDuration.Format(serverTimeout.Value);
            report.Mapped(serverTimeout.Line, $"{owner}: ServerTimeout {HaproxyDuration.Format(serverTimeout.Value)}");
        }

        if (backend.Timeouts.TryGetValue("tunnel", out var tunnel))
        {
            report.Approximated(tunnel.Line, $"{owner}: ClientTimeout and ServerTimeout apply to the whole connection");
        }

        var sendProxy = serving.Select(s => s.Options.SendProxy).FirstOrDefault(v => v is not null);
        if (sendProxy is { } version)
        {
            json["SendProxy"] = version.ToString();
            foreach (var server in serving.Where(s => s.Options.SendProxy != version))
            {
                report.Approximated(server.Line, $"{owner}: one PROXY setting per pool, SendProxy {version}");
            }

            foreach (var server in serving.Where(s => s.Options.SendProxy == version))
            {
                report.Mapped(server.Line, $"{owner}: SendProxy {version}");
            }
        }

        var checkPort = port ?? listenPort;
        if (CheckMapping.Of(backend, null, false, checkPort, owner, context) is { } check)
        {
            json["Check"] = check;
        }

        // HAProxy's hello check reads no certificate; the proxy's TlsHello checks it against the Namespace (none is
        // known at layer 4), so it would fail against CAS servers listed by IP. Keep HAProxy's leniency, and say so.
        var type = json["Check"]?["Type"]?.GetValue<string>() ?? (checkPort is 443 or 465 ? "TlsHello" : null);
        if (type == "TlsHello" && json["AcceptAnyServerCertificate"] is null)
        {
            json["AcceptAnyServerCertificate"] = true;
            var line = backend.HealthCheck?.Line ?? serving.FirstOrDefault()?.Line ?? backend.Header;
            report.Mapped(line, $"{owner}: the probe's handshake does not check the CAS certificate (AcceptAnyServerCertificate), as HAProxy's did not; set Namespace and ServerCertificateAuthority to check it");
        }
    }

    /// <summary>The frontend's side: client timeout, connection limit, logging of empty connections, who may connect, PROXY from upstream.</summary>
    private static void Frontend(HaproxyProxy frontend, HaproxyBind bind, JsonObject json, string owner, ImportContext context)
    {
        var report = context.Report;
        if (frontend.Timeouts.TryGetValue("client", out var client))
        {
            json["ClientTimeout"] = HaproxyDuration.Format(client.Value);
            report.Mapped(client.Line, $"{owner}: ClientTimeout {HaproxyDuration.Format(client.Value)}");
        }

        if (frontend.MaxConnections is { } maxconn)
        {
            json["MaxConnections"] = maxconn.Value;
            report.Mapped(maxconn.Line, $"{owner}: MaxConnections {maxconn.Value}");
        }

        if (frontend.DontLogNull is { } dontLogNull)
        {
            report.Mapped(dontLogNull.Line, $"{owner}: DontLogNull {(dontLogNull.Value ? "true (the default)" : "false")}");
            if (!dontLogNull.Value)
            {
                json["DontLogNull"] = false;
            }
        }
        else
        {
            json["DontLogNull"] = false;
        }

        foreach (var rule in frontend.RulesOf("reject"))
        {
            if (rule.Condition.Unsupported is not null || rule.Condition.Alternatives.Count != 1
                || rule.Condition.Alternatives[0] is not { Count: > 0 } terms || !terms.All(t => t.Negated && t.IsOnly(MatchKind.Source)))
            {
                Mark(rule, rule.Condition.Alternatives.SelectMany(a => a).ToList(), ImportVerdict.NotSupported,
                    "a listener lets in the networks of AllowedClients and no one else; no other condition has an equivalent", report);
                continue;
            }

            var networks = SourceNetworks.Of(terms, rule.Line);
            if (networks is null)
            {
                Mark(rule, terms, ImportVerdict.NotSupported, "src -f: write the networks in AllowedClients", report);
                continue;
            }

            var allowed = json["AllowedClients"] as JsonArray ?? [];
            foreach (var network in networks.Where(n => !allowed.Any(a => a!.GetValue<string>() == n)))
            {
                allowed.Add(network);
            }

            json["AllowedClients"] = allowed;
            Mark(rule, terms, ImportVerdict.Mapped, $"{owner}: AllowedClients {string.Join(", ", networks)}", report);
        }

        foreach (var rule in frontend.RulesOf("accept"))
        {
            var tlsWait = rule.Condition.Alternatives.All(a => a.All(t => t.IsOnly(MatchKind.TlsHello)));
            Mark(rule, rule.Condition.Alternatives.SelectMany(a => a).ToList(), tlsWait ? ImportVerdict.Mapped : ImportVerdict.Approximated,
                tlsWait ? "the ClientHello is read for its server name" : "connections are accepted unless a rule refuses them", report);
        }

        if (bind.AcceptProxy)
        {
            json["AcceptProxy"] = true;
            var expect = frontend.RulesOf("expect-proxy").ToList();
            var from = new List<string>();
            foreach (var rule in expect)
            {
                var terms = rule.Condition.Alternatives.SelectMany(a => a).ToList();
                if (rule.Condition.Unsupported is null && terms.Count > 0 && terms.All(t => !t.Negated && t.IsOnly(MatchKind.Source)) && SourceNetworks.Of(terms, rule.Line) is { } networks)
                {
                    from.AddRange(networks.Where(n => !from.Contains(n)));
                    Mark(rule, terms, ImportVerdict.Mapped, $"{owner}: AcceptProxyFrom {string.Join(", ", networks)}", report);
                }
                else
                {
                    Mark(rule, terms, ImportVerdict.NotSupported, "PROXY headers are expected from the networks of AcceptProxyFrom; write 'if { src NETWORKS }'", report);
                }
            }

            if (from.Count > 0)
            {
                json["AcceptProxyFrom"] = new JsonArray([.. from.Select(n => (JsonNode)n)]);
                report.Mapped(bind.Line, $"accept-proxy: {owner} AcceptProxy, from {string.Join(", ", from)}");
            }
            else
            {
                // HAProxy believes a PROXY header from anyone who reaches the port; so does this file, and the report says to narrow it.
                json["AcceptProxyFrom"] = new JsonArray("0.0.0.0/0", "::/0");
                report.Approximated(bind.Line, $"accept-proxy: {owner} believes PROXY headers from any address, as HAProxy did; list your load balancers' networks in AcceptProxyFrom");
                report.Notice($"{owner} accepts PROXY headers from any address (AcceptProxyFrom 0.0.0.0/0, ::/0), as HAProxy did: anyone reaching it can claim any client address. List your load balancers' networks instead.");
            }
        }
        else
        {
            foreach (var rule in frontend.RulesOf("expect-proxy"))
            {
                var terms = rule.Condition.Alternatives.SelectMany(a => a).ToList();
                var networks = rule.Condition.Unsupported is null && terms.Count > 0 && terms.All(t => !t.Negated && t.IsOnly(MatchKind.Source)) ? SourceNetworks.Of(terms, rule.Line) : null;
                if (networks is null)
                {
                    Mark(rule, terms, ImportVerdict.NotSupported, "PROXY headers are expected from the networks of AcceptProxyFrom; write 'if { src NETWORKS }'", report);
                    continue;
                }

                json["AcceptProxy"] = true;
                json["AcceptProxyFrom"] = new JsonArray([.. networks.Select(n => (JsonNode)n)]);
                Mark(rule, terms, ImportVerdict.Approximated, $"{owner}: AcceptProxy from {string.Join(", ", networks)}; a connection from elsewhere is closed, not accepted without a header", report);
            }
        }
    }
}
