using System.Globalization;

namespace ExchangeProxy.Import;

/// <summary>
/// Reads the lines of a frontend, backend, listen or defaults section into a <see cref="HaproxyProxy"/>. Lines whose
/// fate is known from the line alone are reported here; the others are reported by the mapping that uses them.
/// </summary>
public static class ProxyReader
{
    private const string Logs = "the proxy logs one line per request or connection to standard output (JSON in containers): ship it with your log collector";

    private static readonly Dictionary<string, (ImportVerdict Verdict, string Note)> Options = new(StringComparer.Ordinal)
    {
        ["httplog"] = (ImportVerdict.Mapped, "one log line per request, always"),
        ["tcplog"] = (ImportVerdict.Mapped, "one log line per connection, always"),
        ["log-health-checks"] = (ImportVerdict.Mapped, "every change of a server's state is logged with its reason"),
        ["forwardfor"] = (ImportVerdict.Mapped, "X-Forwarded-For and X-Forwarded-Proto are always set (TrustedProxies says whose are believed)"),
        ["http-server-close"] = (ImportVerdict.Approximated, "server connections are pooled; Windows-auth connections are pinned to their client's"),
        ["httpclose"] = (ImportVerdict.Approximated, "server connections are pooled; Windows-auth connections are pinned to their client's"),
        ["http-keep-alive"] = (ImportVerdict.Mapped, "keep-alive on both sides"),
        ["http-buffer-request"] = (ImportVerdict.Approximated, "bodies stream, never buffered (Outlook Anywhere's are up to 2 GB)"),
        ["abortonclose"] = (ImportVerdict.Mapped, "a request is abandoned when its client goes"),
        ["tcpka"] = (ImportVerdict.Approximated, "TCP keep-alive follows the system's settings"),
        ["clitcpka"] = (ImportVerdict.Approximated, "TCP keep-alive follows the system's settings"),
        ["srvtcpka"] = (ImportVerdict.Approximated, "TCP keep-alive follows the system's settings"),
        ["splice-auto"] = (ImportVerdict.Approximated, "bytes are pumped through System.IO.Pipelines"),
        ["splice-request"] = (ImportVerdict.Approximated, "bytes are pumped through System.IO.Pipelines"),
        ["splice-response"] = (ImportVerdict.Approximated, "bytes are pumped through System.IO.Pipelines"),
        ["contstats"] = (ImportVerdict.Mapped, "byte counters move as bytes do"),
        ["socket-stats"] = (ImportVerdict.Mapped, "per-listener counters on the stats page and /metrics"),
        ["log-separate-errors"] = (ImportVerdict.Approximated, "errors are logged at Warning level"),
        ["http-no-delay"] = (ImportVerdict.Mapped, "sockets are written without delay"),
        ["http-pretend-keepalive"] = (ImportVerdict.Approximated, "server connections are pooled"),
        ["prefer-last-server"] = (ImportVerdict.Approximated, "Windows-auth connections keep their server; use Affinity for the rest"),
        ["nolinger"] = (ImportVerdict.Approximated, "connections close as the system closes them"),
        ["independent-streams"] = (ImportVerdict.Mapped, "each direction has its own timeout at layer 4"),
        ["http-use-htx"] = (ImportVerdict.Mapped, "no effect"),
        ["accept-invalid-http-request"] = (ImportVerdict.NotSupported, "invalid requests are refused (400): that is the edge protection; fix the client"),
        ["accept-invalid-http-response"] = (ImportVerdict.NotSupported, "invalid responses are refused (502): fix the server"),
        ["allbackups"] = (ImportVerdict.NotSupported, "no backup servers"),
        ["persist"] = (ImportVerdict.Approximated, "a client stuck to a DOWN server is moved (HAProxy's option redispatch)"),
        ["originalto"] = (ImportVerdict.NotSupported, "no X-Original-To header"),
        ["http-ignore-probes"] = (ImportVerdict.Mapped, "connections that send nothing are not logged"),
        ["checkcache"] = (ImportVerdict.NotSupported, "the proxy does not inspect caching headers"),
        ["logasap"] = (ImportVerdict.Approximated, "a request is logged when it ends"),
        ["h1-case-adjust-bogus-client"] = (ImportVerdict.Approximated, "header names are forwarded as received"),
        ["h1-case-adjust-bogus-server"] = (ImportVerdict.Approximated, "header names are forwarded as received"),
        ["transparent"] = (ImportVerdict.NotSupported, "no transparent proxying: servers see the proxy's address (X-Forwarded-For at layer 7)"),
        ["spop-check"] = (ImportVerdict.NotSupported, "no SPOP"),
        ["external-check"] = (ImportVerdict.NotSupported, "no external check scripts: use Http checks on healthcheck.htm"),
        ["ldap-check"] = (ImportVerdict.NotSupported, "no LDAP check: use Tcp"),
        ["mysql-check"] = (ImportVerdict.NotSupported, "no MySQL check: use Tcp"),
        ["pgsql-check"] = (ImportVerdict.NotSupported, "no PostgreSQL check: use Tcp"),
        ["redis-check"] = (ImportVerdict.NotSupported, "no Redis check: use Tcp"),
        ["disable-h2-upgrade"] = (ImportVerdict.Mapped, "no HTTP/2 upgrade without TLS"),
        ["dontlog-normal"] = (ImportVerdict.Approximated, "every request is logged; raise the Serilog level to log less"),
    };

    public static HaproxyProxy Read(HaproxySection section, HaproxyProxy defaults, ImportReport report)
    {
        var proxy = defaults.Inherit(section.Kind, section.Name, section.Header);
        if (section.Kind == "listen" && section.Header.Words.Count > 2)
        {
            // The old form: listen NAME ADDRESS:PORT.
            var notes = new LineNotes();
            if (HaproxyBind.Parse(section.Header.Words[2], [.. section.Header.Words.Skip(3)], section.Header, notes) is { } bind)
            {
                proxy.Binds.Add(bind);
            }

            notes.MarkOn(section.Header, report);
        }

        foreach (var line in section.Lines)
        {
            ReadLine(proxy, line, report);
        }

        for (var i = 0; i < proxy.Rules.Count; i++)
        {
            var rule = proxy.Rules[i];
            proxy.Rules[i] = rule with { Condition = HaproxyCondition.Parse(rule.ConditionWords, proxy.Acls, rule.Line) };
        }

        return proxy;
    }

    private static void ReadLine(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        var keyword = line.Words[0];
        var isDefaults = proxy.Kind == "defaults";
        if (keyword is "bind" or "acl" or "use_backend" or "default_backend" or "server" or "http-request" or "tcp-request" or "redirect"
            or "stats" or "stick" or "stick-table" or "monitor-uri" && isDefaults)
        {
            report.NotSupported(line, $"'{keyword}' in a defaults section: write it in the frontend, backend or listen that needs it");
            return;
        }

        switch (keyword)
        {
            case "mode":
                var mode = line.Word(1);
                if (mode is "tcp" or "http")
                {
                    proxy.Mode = new Setting<string>(mode, line);
                }
                else
                {
                    report.NotSupported(line, $"mode '{mode}': the proxy proxies tcp (layer-4 listeners) or http (services)");
                }

                break;
            case "bind":
                if (line.Words.Count < 2)
                {
                    throw new HaproxyImportException(line.Number, "'bind' needs an address (e.g. :443)");
                }

                var bindNotes = new LineNotes();
                if (HaproxyBind.Parse(line.Words[1], [.. line.Words.Skip(2)], line, bindNotes) is { } bind)
                {
                    proxy.Binds.Add(bind);
                }

                bindNotes.MarkOn(line, report);
                break;
            case "timeout" or "contimeout" or "clitimeout" or "srvtimeout":
                ReadTimeout(proxy, line, report);
                break;
            case "retries":
                proxy.Retries = new Setting<int>(Number(line, 1, 0, int.MaxValue), line);
                break;
            case "redispatch":
                proxy.Redispatch = new Setting<bool>(true, line);
                break;
            case "maxconn":
                proxy.MaxConnections = new Setting<int>(Number(line, 1, 1, int.MaxValue), line);
                break;
            case "balance":
                if (line.Words.Count < 2)
                {
                    throw new HaproxyImportException(line.Number, "'balance' needs an algorithm (roundrobin, leastconn, source...)");
                }

                proxy.Balance = new Setting<string>(line.Words[1], line);
                break;
            case "option" or "no" when line.Words.Count > 1:
                ReadOption(proxy, line, report);
                break;
            case "http-check":
                ReadHttpCheck(proxy, line, report);
                break;
            case "tcp-check":
                proxy.CheckRules.Add(line);
                break;
            case "default-server":
                var defaultNotes = new LineNotes();
                proxy.DefaultServer = HaproxyServerOptions.Parse([.. line.Words.Skip(1)], line, defaultNotes).Over(proxy.DefaultServer);
                proxy.DefaultServerLines.Add(line);
                defaultNotes.MarkOn(line, report);
                break;
            case "server":
                ReadServer(proxy, line, report);
                break;
            case "stick-table":
                ReadStickTable(proxy, line, report);
                break;
            case "stick":
                if (line.Word(1) is "on" or "match" or "store-request" && line.Word(2) is "src" or "src_ip")
                {
                    var table = line.Words.Count > 4 && line.Word(3) == "table" ? line.Word(4) : null;
                    proxy.StickOnSource = new Setting<string?>(table, line);
                    if (line.Words.Skip(3).Any(w => w is "if" or "unless"))
                    {
                        report.Approximated(line, "every client of the service sticks; the condition is not kept");
                    }
                }
                else
                {
                    report.NotSupported(line, "only the client's address (src) can be stuck on: Affinity Mode ClientIp");
                }

                break;
            case "acl":
                if (line.Words.Count < 3)
                {
                    throw new HaproxyImportException(line.Number, "'acl' needs a name and a criterion");
                }

                var match = HaproxyMatch.Parse([.. line.Words.Skip(2)], line);
                if (!proxy.Acls.TryGetValue(line.Words[1], out var definitions))
                {
                    proxy.Acls[line.Words[1]] = definitions = [];
                }

                definitions.Add((match, line));
                break;
            case "use_backend":
                if (line.Words.Count < 2)
                {
                    throw new HaproxyImportException(line.Number, "'use_backend' needs a backend name");
                }

                proxy.Rules.Add(new HaproxyRule("use-backend", line.Words[1], [.. line.Words.Skip(2)], line));
                break;
            case "default_backend":
                if (line.Words.Count != 2)
                {
                    throw new HaproxyImportException(line.Number, "'default_backend' takes one backend name");
                }

                proxy.DefaultBackend = new Setting<string>(line.Words[1], line);
                break;
            case "http-request":
                ReadHttpRequest(proxy, line, report);
                break;
            case "tcp-request":
                ReadTcpRequest(proxy, line, report);
                break;
            case "redirect":
                if (line.Word(1) == "scheme" && line.Word(2) == "https")
                {
                    proxy.Rules.Add(new HaproxyRule("redirect-https", null, [.. line.Words.SkipWhile(w => w is not ("if" or "unless"))], line));
                }
                else
                {
                    report.NotSupported(line, "the proxy does not redirect; Exchange (IIS) redirects / to /owa itself");
                }

                break;
            case "stats":
                proxy.StatsLines.Add(line);
                break;
            case "log":
                report.Approximated(line, Logs);
                break;
            case "description" or "id" or "guid":
                report.Mapped(line, "no effect on traffic");
                break;
            case "monitor-uri":
                report.Approximated(line, "the proxy answers /health/live (liveness) and /health/ready on every listener");
                break;
            case "capture":
                report.Approximated(line, "the request log records the user, the ActiveSync device and the server, not chosen headers");
                break;
            case "hash-type":
                report.Approximated(line, "SourceHash has its own hash of the client address");
                break;
            case "http-reuse":
                report.Approximated(line, "server connections are pooled and reused; Windows-auth connections are private to their client (as http-reuse safe)");
                break;
            case "log-format" or "log-format-sd" or "error-log-format" or "log-tag":
                report.Approximated(line, "the log line's fields are fixed (README, Serilog)");
                break;
            case "fullconn":
                report.Approximated(line, "no dynamic per-server limits: Weight spreads the load");
                break;
            case "errorfile" or "errorloc" or "errorloc302" or "errorloc303" or "errorfiles" or "http-error":
                report.NotSupported(line, "the proxy answers errors with a one-line text of its own");
                break;
            case "compression":
                report.NotSupported(line, "no compression at the proxy: IIS on Exchange compresses");
                break;
            case "http-response" or "http-after-response":
                report.NotSupported(line, "responses are forwarded as Exchange sends them: set response headers in IIS on the CAS servers");
                break;
            case "tcp-response":
                report.NotSupported(line, "responses are forwarded untouched");
                break;
            case "cookie":
                report.NotSupported(line, "no cookie persistence: use Affinity (Mode ClientIp), or none (Exchange 2013+ needs none)");
                break;
            case "server-template":
                report.NotSupported(line, "list each CAS server under ExchangeProxy:Servers");
                break;
            case "unique-id-format" or "unique-id-header":
                report.NotSupported(line, "no request ids are added");
                break;
            case "rate-limit":
                report.NotSupported(line, "no session-rate limit: Protection's FormLogins and Unauthorized limit sign-ins per client");
                break;
            case "email-alert":
                report.NotSupported(line, "alert from the log or from /metrics (exchangeproxy_server_up)");
                break;
            case "disabled":
                report.NotSupported(line, "a section cannot be switched off: remove it, or set the services' Enabled to false");
                break;
            case "enabled":
                report.Mapped(line, "no effect");
                break;
            case "source" or "dispatch" or "persist" or "filter" or "declare" or "http-send-name-header" or "ignore-persist" or "force-persist"
                or "max-keep-alive-queue" or "max-session-srv-conns" or "retry-on" or "use-server" or "grace" or "backlog" or "bind-process"
                or "email-alert mailers" or "external-check" or "load-server-state-from-file" or "server-state-file-name" or "use-fcgi-app":
                report.NotSupported(line, $"'{keyword}' has no equivalent in the proxy");
                break;
            default:
                report.NotSupported(line, $"'{keyword}' is not a keyword the importer knows: check what it does and whether the proxy needs an equivalent");
                break;
        }
    }

    private static void ReadTimeout(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        var (name, value) = line.Words[0] switch
        {
            "contimeout" => ("connect", line.Word(1)),
            "clitimeout" => ("client", line.Word(1)),
            "srvtimeout" => ("server", line.Word(1)),
            _ => (line.Word(1), line.Word(2)),
        };
        var count = line.Words[0] == "timeout" ? 3 : 2;
        if (line.Words.Count != count)
        {
            throw new HaproxyImportException(line.Number, line.Words.Count < count ? $"'timeout {name}' needs a duration" : $"'timeout {name}': unexpected '{line.Words[count]}' after the duration");
        }

        var duration = HaproxyDuration.Parse(value, line);
        switch (name)
        {
            case "connect" or "client" or "server" or "http-request" or "http-keep-alive" or "check" or "tunnel":
                proxy.Timeouts[name] = new Setting<TimeSpan>(duration, line);
                break;
            case "queue":
                report.NotSupported(line, "no queue: a request no server can take gets 503 at once");
                break;
            case "client-fin" or "server-fin":
                report.Approximated(line, "a half-closed connection keeps the client or server timeout");
                break;
            case "tarpit":
                report.NotSupported(line, "no tarpit: refused requests get 403 at once");
                break;
            default:
                throw new HaproxyImportException(line.Number, $"'timeout {name}' is not an HAProxy timeout");
        }
    }

    private static void ReadOption(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        var negated = line.Words[0] == "no";
        var words = negated ? line.Words.Skip(1).ToList() : [.. line.Words];
        if (words.Count < 2 || words[0] != "option")
        {
            report.NotSupported(line, "not an HAProxy option");
            return;
        }

        var name = words[1];
        switch (name)
        {
            case "redispatch":
                proxy.Redispatch = new Setting<bool>(!negated, line);
                return;
            case "dontlognull":
                proxy.DontLogNull = new Setting<bool>(!negated, line);
                return;
            case "httpchk":
                // option httpchk [METHOD] URI [VERSION [Host: ...]]: a lone argument is the URI.
                var path = words.Count switch { 2 => "/", 3 => words[2], _ => words[3] };
                string? host = null;
                if (words.Count > 4)
                {
                    var hostAt = words[4].IndexOf("Host:", StringComparison.OrdinalIgnoreCase);
                    host = hostAt >= 0 ? words[4][(hostAt + 5)..].Trim().Split('\r', '\n')[0].Trim() : null;
                }

                proxy.HealthCheck = new HaproxyHealthCheck("http", path, host, line);
                return;
            case "ssl-hello-chk":
                proxy.HealthCheck = new HaproxyHealthCheck("ssl-hello", null, null, line);
                return;
            case "smtpchk":
                proxy.HealthCheck = new HaproxyHealthCheck("smtp", null, null, line);
                return;
            case "tcp-check":
                proxy.HealthCheck = new HaproxyHealthCheck("tcp", null, null, line);
                return;
        }

        if (Options.TryGetValue(name, out var known))
        {
            report.Mark(line, negated && known.Verdict == ImportVerdict.Mapped ? ImportVerdict.Approximated : known.Verdict,
                negated ? $"'no option {name}': {known.Note}" : known.Note);
        }
        else
        {
            report.NotSupported(line, $"'option {name}' is not an option the importer knows");
        }
    }

    private static void ReadHttpCheck(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        switch (line.Word(1))
        {
            case "send":
                var path = ValueAfter(line, "uri");
                var host = line.Words.Select((w, i) => (w, i)).Where(p => p.w == "hdr" && p.i + 2 < line.Words.Count
                    && line.Words[p.i + 1].Equals("host", StringComparison.OrdinalIgnoreCase)).Select(p => line.Words[p.i + 2]).FirstOrDefault();
                proxy.HealthCheck = new HaproxyHealthCheck("http", path ?? proxy.HealthCheck?.Path ?? "/", host ?? proxy.HealthCheck?.Host,
                    proxy.HealthCheck?.Line ?? line);
                proxy.CheckRules.Add(line);
                break;
            case "expect" or "disable-on-404" or "connect" or "send-state" or "comment" or "set-var" or "unset-var":
                proxy.CheckRules.Add(line);
                break;
            default:
                report.NotSupported(line, $"'http-check {line.Word(1)}' is not an http-check rule the importer knows");
                break;
        }
    }

    private static void ReadServer(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        if (proxy.Kind == "frontend")
        {
            report.NotSupported(line, "a server in a frontend: HAProxy refuses it too; move it to a backend");
            return;
        }

        if (line.Words.Count < 3 || line.Words[2] is "check" or "backup" or "weight" or "inter")
        {
            throw new HaproxyImportException(line.Number, $"'server {line.Word(1)}' has no address (server NAME ADDRESS[:PORT] [options])");
        }

        var notes = new LineNotes();
        var endpoint = HaproxyEndpoint.ParseServer(line.Words[2], line, out var unsupported);
        if (unsupported is not null)
        {
            notes.Add(ImportVerdict.NotSupported, unsupported);
        }

        var options = HaproxyServerOptions.Parse([.. line.Words.Skip(3)], line, notes).Over(proxy.DefaultServer);
        proxy.Servers.Add(new HaproxyServer(line.Words[1], endpoint, options, line));
        notes.MarkOn(line, report);
    }

    private static void ReadStickTable(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        var type = ValueAfter(line, "type") ?? throw new HaproxyImportException(line.Number, "'stick-table' needs a type (type ip)");
        int? size = null;
        if (ValueAfter(line, "size") is { } sizeText)
        {
            var multiplier = char.ToLowerInvariant(sizeText[^1]) switch { 'k' => 1000, 'm' => 1_000_000, 'g' => 1_000_000_000, _ => 1 };
            var digits = multiplier == 1 ? sizeText : sizeText[..^1];
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count * multiplier > int.MaxValue)
            {
                throw new HaproxyImportException(line.Number, $"'size {sizeText}' is not a table size (e.g. 20k)");
            }

            size = (int)(count * multiplier);
        }

        var expire = ValueAfter(line, "expire") is { } expireText ? HaproxyDuration.Parse(expireText, line) : (TimeSpan?)null;
        proxy.StickTable = new HaproxyStickTable(type, size, expire, ValueAfter(line, "peers"), line);
        if (line.Words.Contains("store"))
        {
            report.Approximated(line, "the table keeps each client's server only (no counters)");
        }
    }

    private static void ReadHttpRequest(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        var action = line.Word(1);
        var condition = line.Words.SkipWhile(w => w is not ("if" or "unless")).ToList();
        switch (action)
        {
            case "deny" or "reject" or "tarpit" or "silent-drop":
                proxy.Rules.Add(new HaproxyRule("deny", null, condition, line));
                break;
            case "redirect" when line.Word(2) == "scheme" && line.Word(3) == "https":
                proxy.Rules.Add(new HaproxyRule("redirect-https", null, condition, line));
                break;
            case "set-header" or "add-header" when line.Word(2).Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase)
                || line.Word(2).Equals("X-Forwarded-Port", StringComparison.OrdinalIgnoreCase):
                report.Mapped(line, "X-Forwarded-Proto is always set to the client's scheme");
                break;
            case "set-header" or "add-header" when line.Word(2).Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase):
                report.Mapped(line, "X-Forwarded-For is always set to the client's address");
                break;
            case "allow":
                report.Approximated(line, "requests are allowed unless a rule refuses them");
                break;
            case "auth":
                report.NotSupported(line, "the proxy asks no credentials in front of Exchange: Exchange authenticates its users");
                break;
            case "redirect":
                report.NotSupported(line, "the proxy does not redirect; Exchange (IIS) redirects / to /owa itself");
                break;
            default:
                report.NotSupported(line, $"'http-request {action}': requests reach Exchange as the client sent them; rules of your own go in Protection:Rules (refuse by path, header or cookie)");
                break;
        }
    }

    private static void ReadTcpRequest(HaproxyProxy proxy, HaproxyLine line, ImportReport report)
    {
        var stage = line.Word(1);
        var action = line.Word(2);
        var condition = line.Words.SkipWhile(w => w is not ("if" or "unless")).ToList();
        if (stage == "inspect-delay")
        {
            HaproxyDuration.Parse(line.Word(2), line);
            report.Mapped(line, "the TLS ClientHello is read for its server name as soon as it arrives");
        }
        else if (stage is "connection" or "content" or "session" && action is "reject" or "silent-drop")
        {
            proxy.Rules.Add(new HaproxyRule("reject", null, condition, line));
        }
        else if (stage == "connection" && action == "expect-proxy")
        {
            proxy.Rules.Add(new HaproxyRule("expect-proxy", null, condition, line));
        }
        else if (stage is "connection" or "content" or "session" && action == "accept")
        {
            proxy.Rules.Add(new HaproxyRule("accept", null, condition, line));
        }
        else
        {
            report.NotSupported(line, $"'tcp-request {stage} {action}' has no equivalent: layer-4 listeners pass bytes untouched");
        }
    }

    private static string? ValueAfter(HaproxyLine line, string keyword)
    {
        for (var i = 0; i + 1 < line.Words.Count; i++)
        {
            if (line.Words[i] == keyword)
            {
                return line.Words[i + 1];
            }
        }

        return null;
    }

    private static int Number(HaproxyLine line, int index, int min, int max)
    {
        var text = line.Word(index);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max && line.Words.Count == index + 1
            ? value
            : throw new HaproxyImportException(line.Number, $"'{line.Words[0]}' expects one whole number, not '{string.Join(' ', line.Words.Skip(index))}'");
    }
}
