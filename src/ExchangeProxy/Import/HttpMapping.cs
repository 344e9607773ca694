using System.Text.Json.Nodes;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>
/// Frontends in <c>mode http</c> as the proxy's layer 7: their binds as Kestrel endpoints, their <c>use_backend</c> and
/// <c>default_backend</c> as the services of Exchange's virtual directories (and of other paths), their deny rules as
/// <c>InternalOnly</c>.
/// </summary>
public static class HttpMapping
{
    private const string AllPaths = "";

    public static void Map(IReadOnlyList<HaproxyProxy> frontends, ImportContext context)
    {
        var report = context.Report;
        var routes = new Dictionary<string, (HaproxyProxy Backend, HaproxyProxy Frontend)>(StringComparer.OrdinalIgnoreCase);
        (HaproxyProxy Backend, HaproxyProxy Frontend)? fallback = null;
        var internalOnly = new List<(string Path, List<string> Networks, HaproxyLine Line)>();
        foreach (var frontend in frontends)
        {
            var endpoints = Endpoints(frontend, context);
            report.Mapped(frontend.Header, endpoints.Count == 0 ? "layer 7 (no listener of its own)" : $"layer 7: Kestrel endpoints {string.Join(", ", endpoints)}");
            if (frontend.Mode is { } mode)
            {
                report.Mapped(mode.Line, "layer 7: Exchange services");
            }

            if (frontend.DontLogNull is { } dontLogNull)
            {
                report.Mapped(dontLogNull.Line, "one log line per request: a connection that sends none is not logged");
            }

            var own = DefaultBackend(frontend, context);
            if (own is not null)
            {
                if (fallback is { } first && first.Backend != own)
                {
                    report.Approximated(frontend.DefaultBackend!.Line, $"every listener serves the same services: the default is '{first.Backend.Name}' (line {first.Backend.Header.Number})");
                }
                else
                {
                    fallback ??= (own, frontend);
                }
            }

            Route(frontend, own, routes, context);
            Protect(frontend, internalOnly, context);
            Limits(frontend, context);
        }

        var names = new List<string>();
        var published = new List<string>();
        foreach (var vdir in ExchangeVirtualDirectories.All)
        {
            var found = routes.TryGetValue(vdir.Path, out var route);
            if (!found && fallback is { } everything)
            {
                (route, found) = (everything, true);
            }

            if (found)
            {
                context.Services[vdir.Name] = Service(vdir.Name, vdir.Path, vdir, route.Backend, route.Frontend, context);
                names.Add(vdir.Name);
                published.Add(vdir.Path);
            }
            else
            {
                context.Services[vdir.Name] = new JsonObject { ["Enabled"] = false };
            }
        }

        foreach (var (path, route) in routes.Where(r => PathTargets.VirtualDirectoryAt(r.Key) is null))
        {
            var name = ImportNames.Unique(ImportNames.Of(route.Backend.Name), ExchangeVirtualDirectories.All.Select(v => v.Name).Concat(names));
            context.Services[name] = Service(name, path, null, route.Backend, route.Frontend, context);
            names.Add(name);
            published.Add(path);
        }

        foreach (var (path, networks, line) in internalOnly)
        {
            foreach (var target in path == AllPaths ? published : [path])
            {
                if (context.InternalOnly[target] is JsonArray existing)
                {
                    report.Approximated(line, $"{target} already has networks (line {line.Number}): both lists are allowed");
                    foreach (var network in networks.Where(n => !existing.Any(e => e!.GetValue<string>() == n)))
                    {
                        existing.Add(network);
                    }
                }
                else
                {
                    context.InternalOnly[target] = new JsonArray([.. networks.Select(n => (JsonNode)n)]);
                }
            }
        }
    }

    private static HaproxyProxy? DefaultBackend(HaproxyProxy frontend, ImportContext context)
    {
        if (frontend.DefaultBackend is not { } named)
        {
            return frontend.Kind == "listen" && frontend.Servers.Count > 0 ? frontend : null;
        }

        var backend = context.Backend(named.Value) ?? throw new HaproxyImportException(named.Line.Number, $"no backend named '{named.Value}'");
        if (backend.IsTcp)
        {
            throw new HaproxyImportException(named.Line.Number, $"backend '{backend.Name}' is in mode tcp and this frontend in mode http");
        }

        context.Report.Mapped(named.Line, $"backend '{backend.Name}' serves the virtual directories no use_backend routes");
        return backend;
    }

    private static List<string> Endpoints(HaproxyProxy frontend, ImportContext context)
    {
        var report = context.Report;
        var names = new List<string>();
        var redirects = frontend.RulesOf("redirect-https").ToList();
        foreach (var rule in redirects)
        {
            report.NotSupported(rule.Line, "the proxy does not redirect plain HTTP to HTTPS: clients reach Exchange on HTTPS (Autodiscover and Outlook do)");
        }

        foreach (var bind in frontend.Binds)
        {
            if (bind.AcceptProxy)
            {
                report.NotSupported(bind.Line, "accept-proxy at layer 7: the HTTPS listener reads no PROXY header; list the balancer in TrustedProxies and let it send X-Forwarded-For, or use a layer-4 listener");
                continue;
            }

            if (!bind.Ssl && redirects.Count > 0)
            {
                report.NotSupported(bind.Line, "plain HTTP that only redirects to HTTPS: no listener; leave the port closed");
                continue;
            }

            (string Path, string KeyPath)? certificate = bind.Ssl ? CertificateFiles.Resolve(bind.Certificates[0], bind.Line, context) : null;
            if (bind.Certificates.Count > 1)
            {
                report.Approximated(bind.Line, $"several crt: Kestrel presents one certificate per listener, {bind.Certificates[0]}");
            }

            if (!bind.Ssl)
            {
                report.Approximated(bind.Line, "plain HTTP: passwords cross the network in clear and Extended Protection cannot work; serve HTTPS (ssl crt)");
            }

            var minimum = bind.MinimumTls ?? context.MinimumTls?.Value;
            foreach (var endpoint in bind.Endpoints)
            {
                var name = ImportNames.Unique(bind.Ssl ? "Https" : "Http", context.Endpoints.Select(e => e.Key));
                var json = new JsonObject { ["Url"] = $"{(bind.Ssl ? "https" : "http")}://{endpoint}" };
                if (certificate is { } files)
                {
                    json["Certificate"] = new JsonObject { ["Path"] = files.Path, ["KeyPath"] = files.KeyPath };
                }

                if (bind.Ssl && minimum is not null)
                {
                    json["SslProtocols"] = minimum == "TLSv1.3" ? new JsonArray("Tls13") : new JsonArray("Tls12", "Tls13");
                    if (context.MinimumTls is { } global && bind.MinimumTls is null)
                    {
                        report.Mapped(global.Line, $"Kestrel:Endpoints:{name}:SslProtocols");
                    }
                }

                context.Endpoints[name] = json;
                names.Add(name);
                report.Mapped(bind.Line, $"Kestrel:Endpoints:{name} {json["Url"]}");
            }
        }

        return names;
    }

    private static void Route(HaproxyProxy frontend, HaproxyProxy? fallback, Dictionary<string, (HaproxyProxy Backend, HaproxyProxy Frontend)> routes, ImportContext context)
    {
        var report = context.Report;
        foreach (var rule in frontend.RulesOf("use-backend"))
        {
            if (rule.Target!.Contains("%[", StringComparison.Ordinal))
            {
                report.NotSupported(rule.Line, "a backend chosen at run time: write one use_backend per virtual directory");
                continue;
            }

            var backend = context.Backend(rule.Target) ?? throw new HaproxyImportException(rule.Line.Number, $"no backend named '{rule.Target}'");
            if (backend.IsTcp)
            {
                throw new HaproxyImportException(rule.Line.Number, $"backend '{backend.Name}' is in mode tcp and this frontend in mode http");
            }

            foreach (var alternative in rule.Condition.Alternatives)
            {
                var (verdict, note) = RouteAlternative(alternative, backend, frontend, fallback, routes, context);
                report.Mark(rule.Line, verdict, note);
                foreach (var line in alternative.SelectMany(t => t.Lines))
                {
                    report.Mark(line, verdict, note);
                }
            }
        }
    }

    private static (ImportVerdict, string) RouteAlternative(IReadOnlyList<HaproxyTerm> terms, HaproxyProxy backend, HaproxyProxy frontend,
        HaproxyProxy? fallback, Dictionary<string, (HaproxyProxy Backend, HaproxyProxy Frontend)> routes, ImportContext context)
    {
        var paths = terms.Where(t => !t.Negated && t.IsOnly(MatchKind.Path)).ToList();
        var hosts = terms.Where(t => !t.Negated && t.IsOnly(MatchKind.Host)).ToList();
        var rest = terms.Except(paths).Except(hosts).Where(t => !(t.IsOnly(MatchKind.Constant) && t.Values.First() == "TRUE" && !t.Negated)).ToList();
        if (rest.Count > 0)
        {
            return (ImportVerdict.NotSupported, "services are chosen by path (and host name) only; this condition has no equivalent");
        }

        if (paths.Count > 1)
        {
            return (ImportVerdict.NotSupported, "two path conditions at once: write one use_backend per virtual directory");
        }

        if (paths.Count == 0 && hosts.Count > 0)
        {
            foreach (var value in hosts.SelectMany(h => h.Values))
            {
                context.Namespaces.Add((value.TrimStart('.'), hosts[0].Lines.Count > 0 ? hosts[0].Lines[0] : frontend.Header));
            }

            return backend == fallback
                ? (ImportVerdict.Mapped, $"every host name reaches the same services ({string.Join(", ", hosts.SelectMany(h => h.Values))})")
                : (ImportVerdict.NotSupported, $"services are chosen by path, not host name: publish {string.Join(", ", hosts.SelectMany(h => h.Values))} on a layer-4 listener with Sni, or as a ReverseProxy route with Match.Hosts");
        }

        if (paths.Count == 0)
        {
            foreach (var vdir in ExchangeVirtualDirectories.All)
            {
                routes.TryAdd(vdir.Path, (backend, frontend));
            }

            return (ImportVerdict.Mapped, $"backend '{backend.Name}' serves the virtual directories not routed before");
        }

        var targets = PathTargets.Of(paths[0]);
        if (targets.Paths.Count == 0)
        {
            return (targets.Verdict, targets.Note);
        }

        var taken = new List<string>();
        foreach (var path in targets.Paths)
        {
            if (!routes.TryAdd(path, (backend, frontend)) && routes[path].Backend != backend)
            {
                taken.Add($"{path} is already routed to '{routes[path].Backend.Name}'");
            }
        }

        var verdict = hosts.Count > 0 || taken.Count > 0 ? ImportVerdict.Approximated : targets.Verdict;
        var notes = new List<string> { $"{string.Join(", ", targets.Paths)} to backend '{backend.Name}'" };
        if (targets.Note.Length > 0)
        {
            notes.Add(targets.Note);
        }

        if (hosts.Count > 0)
        {
            notes.Add("for every host name, not only " + string.Join(", ", hosts.SelectMany(h => h.Values)));
        }

        notes.AddRange(taken);
        return (verdict, string.Join("; ", notes));
    }

    private static JsonObject Service(string name, string path, VirtualDirectory? vdir, HaproxyProxy backend, HaproxyProxy frontend, ImportContext context)
    {
        var report = context.Report;
        var owner = $"service {name}";
        var json = new JsonObject();
        if (vdir is null)
        {
            json["Path"] = path;
        }

        report.Mapped(backend.Header, $"{owner} ({path})");
        if (backend.Mode is { } mode)
        {
            report.Mapped(mode.Line, "layer 7: Exchange services");
        }

        json["Servers"] = new JsonArray([.. BackendMapping.Servers(backend, layer7: true, context).Select(n => (JsonNode)n)]);
        foreach (var server in backend.Servers.Where(s => s.Serves))
        {
            if (server.Options.SendProxy is not null)
            {
                report.NotSupported(server.Line, "send-proxy at layer 7: Exchange reads no PROXY header; it gets X-Forwarded-For");
            }

            if (server.Options.Ssl != true)
            {
                report.Approximated(server.Line, "no ssl: plain HTTP to the CAS server (SSL offloading) breaks Extended Protection; add ssl (SSL bridging, same certificate)");
            }
        }

        BackendMapping.Common(backend, json, owner, context);
        Activity(json, vdir, frontend, backend, owner, context);
        if (CheckMapping.Of(backend, path, vdir is not null, null, owner, context) is { } check)
        {
            json["Check"] = check;
        }

        return json;
    }

    /// <summary>HAProxy's client and server timeouts are idle timeouts, as ActivityTimeout is; a virtual directory keeps its longer default.</summary>
    private static void Activity(JsonObject json, VirtualDirectory? vdir, HaproxyProxy frontend, HaproxyProxy backend, string owner, ImportContext context)
    {
        var lines = new List<Setting<TimeSpan>>();
        if (frontend.Timeouts.TryGetValue("client", out var client))
        {
            lines.Add(client);
        }

        if (backend.Timeouts.TryGetValue("server", out var server))
        {
            lines.Add(server);
        }

        if (backend.Timeouts.TryGetValue("tunnel", out var tunnel) || frontend.Timeouts.TryGetValue("tunnel", out tunnel))
        {
            context.Report.Approximated(tunnel.Line, $"{owner}: ActivityTimeout covers long-lived requests too");
        }

        if (lines.Count == 0)
        {
            return;
        }

        var idle = lines.Max(l => l.Value);
        var fallback = vdir?.ActivityTimeout ?? ForwarderDefaults.ActivityTimeout;
        if (vdir is null || idle >= fallback)
        {
            json["ActivityTimeout"] = HaproxyDuration.Format(idle);
            foreach (var line in lines)
            {
                context.Report.Mapped(line.Line, $"{owner}: ActivityTimeout {HaproxyDuration.Format(idle)}");
            }

            return;
        }

        foreach (var line in lines)
        {
            context.Report.Approximated(line.Line,
                $"{owner}: ActivityTimeout stays {HaproxyDuration.Format(fallback)}, longer than {HaproxyDuration.Format(idle)}, for {vdir.Path}'s long requests (Exchange keeps the shortest idle timeout)");
        }
    }

    private static void Protect(HaproxyProxy frontend, List<(string Path, List<string> Networks, HaproxyLine Line)> internalOnly, ImportContext context)
    {
        var report = context.Report;
        foreach (var rule in frontend.Rules.Where(r => r.Action is "deny" or "reject"))
        {
            if (rule.Condition.Unsupported is { } unsupported)
            {
                report.NotSupported(rule.Line, $"{unsupported}: write 'if' with the path and '!' the internal networks");
                continue;
            }

            foreach (var alternative in rule.Condition.Alternatives)
            {
                var (verdict, note) = ProtectAlternative(alternative, rule.Line, internalOnly);
                report.Mark(rule.Line, verdict, note);
                foreach (var line in alternative.SelectMany(t => t.Lines))
                {
                    report.Mark(line, verdict, note);
                }
            }
        }
    }

    private static (ImportVerdict, string) ProtectAlternative(IReadOnlyList<HaproxyTerm> terms, HaproxyLine line, List<(string Path, List<string> Networks, HaproxyLine Line)> internalOnly)
    {
        var paths = terms.Where(t => !t.Negated && t.IsOnly(MatchKind.Path)).ToList();
        var allowed = terms.Where(t => t.Negated && t.IsOnly(MatchKind.Source)).ToList();
        var rest = terms.Except(paths).Except(allowed).ToList();
        if (rest.Any(t => t.IsOnly(MatchKind.Source)))
        {
            return (ImportVerdict.NotSupported, "no deny-list of client networks: InternalOnly lists who may reach a path; block the others at the firewall");
        }

        if (rest.Count > 0 || paths.Count > 1 || (paths.Count == 0 && allowed.Count == 0))
        {
            return (ImportVerdict.NotSupported, "requests are refused by path and client network (InternalOnly), or by pattern (Protection:Rules); this condition has no equivalent");
        }

        var networks = SourceNetworks.Of(allowed, line);
        if (networks is null)
        {
            return (ImportVerdict.NotSupported, "src -f: write the networks in the rule (or in InternalOnly)");
        }

        if (paths.Count == 0)
        {
            internalOnly.Add((AllPaths, networks, line));
            return (ImportVerdict.Approximated, $"InternalOnly: every published path only from {string.Join(", ", networks)} (the health endpoints stay open)");
        }

        var targets = PathTargets.Of(paths[0]);
        if (targets.Paths.Count == 0)
        {
            return (targets.Verdict, targets.Note);
        }

        foreach (var path in targets.Paths)
        {
            internalOnly.Add((path, networks, line));
        }

        var who = networks.Count == 0 ? "nobody" : string.Join(", ", networks);
        return (targets.Verdict, $"InternalOnly: {string.Join(", ", targets.Paths)} only from {who}" + (targets.Note.Length > 0 ? $"; {targets.Note}" : ""));
    }

    private static void Limits(HaproxyProxy frontend, ImportContext context)
    {
        foreach (var (timeout, key) in new[] { ("http-request", "RequestHeadersTimeout"), ("http-keep-alive", "KeepAliveTimeout") })
        {
            if (frontend.Timeouts.TryGetValue(timeout, out var value))
            {
                var formatted = HaproxyDuration.Format(value.Value);
                if (context.KestrelLimits[key] is { } existing && existing.GetValue<string>() != formatted)
                {
                    context.Report.Approximated(value.Line, $"Kestrel:Limits:{key} is one for every listener: kept {existing}");
                }
                else
                {
                    context.KestrelLimits[key] = formatted;
                    context.Report.Mapped(value.Line, $"Kestrel:Limits:{key} {formatted}");
                }
            }
        }

        if (frontend.MaxConnections is { } maxconn)
        {
            context.Report.Approximated(maxconn.Line, "at layer 7 connections are limited over all public listeners together (MaxConnections, from global maxconn)");
        }
    }
}
