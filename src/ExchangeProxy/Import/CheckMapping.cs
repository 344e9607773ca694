using System.Text.Json.Nodes;

namespace ExchangeProxy.Import;

/// <summary>
/// What a backend's checks become: the type (HAProxy's check option), interval, rise, fall, timeout and port. At layer 7
/// an Exchange virtual directory is always probed on its own healthcheck.htm, Exchange's per-protocol health.
/// </summary>
public static class CheckMapping
{
    /// <param name="servicePath">Layer 7: the service's path (its healthcheck.htm is probed); null at layer 4.</param>
    /// <param name="isVirtualDirectory">Layer 7: the service is one of Exchange's virtual directories.</param>
    /// <param name="port">Layer 4: the port the pool's servers are reached on, which decides the default check.</param>
    public static JsonObject? Of(HaproxyProxy backend, string? servicePath, bool isVirtualDirectory, int? port, string owner, ImportContext context)
    {
        var report = context.Report;
        var layer7 = servicePath is not null;
        var servers = backend.Servers.Where(s => s.Serves).ToList();
        var check = new JsonObject();
        var health = backend.HealthCheck;
        if (!servers.Any(s => s.Options.Check == true))
        {
            check["Type"] = "None";
            if (health is not null)
            {
                report.Mapped(health.Line, $"{owner}: no server has 'check', so nothing is probed (Check Type None)");
            }

            foreach (var line in backend.CheckRules)
            {
                report.Mapped(line, $"{owner}: no server has 'check'");
            }

            return check;
        }

        var checkSsl = servers.Any(s => s.Options.CheckSsl == true);
        if (!layer7 && servers.Any(s => s.Options.SendProxy is not null))
        {
            // A server that wants a PROXY header first would refuse a probe that speaks without one.
            check["Type"] = "Tcp";
            report.Approximated(health?.Line ?? servers[0].Line, $"{owner}: Tcp check (connect only): the servers expect a PROXY header, which probes do not send");
            foreach (var line in backend.CheckRules)
            {
                report.Approximated(line, $"{owner}: Tcp check (connect only)");
            }

            Timing(backend, servers, check, owner, context);
            return check;
        }

        switch (health?.Type)
        {
            case "http" when layer7 && isVirtualDirectory:
                var own = servicePath + "/healthcheck.htm";
                if (string.Equals(health.Path, own, StringComparison.OrdinalIgnoreCase))
                {
                    report.Mapped(health.Line, $"{owner}: Http check of {own}");
                }
                else
                {
                    report.Approximated(health.Line, $"{owner}: probes {own} (Exchange's health of that protocol), not {health.Path}");
                }

                break;
            case "http":
                check["Type"] = "Http";
                check["Path"] = health.Path;
                var tlsNote = layer7 || checkSsl ? "" : " over TLS (HAProxy probed without check-ssl)";
                report.Mark(health.Line, tlsNote.Length == 0 ? ImportVerdict.Mapped : ImportVerdict.Approximated, $"{owner}: Http check of {health.Path}{tlsNote}");
                break;
            case "ssl-hello":
                check["Type"] = "TlsHello";
                report.Mapped(health.Line, $"{owner}: TlsHello check (a whole handshake, stricter than a hello)");
                break;
            case "smtp" when !layer7:
                check["Type"] = "Smtp";
                report.Mapped(health.Line, $"{owner}: Smtp check (220 greeting, EHLO answered 250, QUIT)");
                break;
            case "smtp":
                report.Approximated(health.Line, $"{owner}: an HTTPS service is probed on {servicePath}/healthcheck.htm, not over SMTP");
                break;
            case "tcp":
                var talks = backend.CheckRules.Any(l => l.Word(0) == "tcp-check" && l.Word(1) is "send" or "expect" or "send-binary" or "expect-binary");
                var tls = backend.CheckRules.Any(l => l.Word(0) == "tcp-check" && l.Word(1) == "connect" && l.Words.Contains("ssl"));
                check["Type"] = tls ? "TlsHello" : port is 25 or 587 && talks ? "Smtp" : "Tcp";
                report.Mark(health.Line, talks ? ImportVerdict.Approximated : ImportVerdict.Mapped,
                    $"{owner}: {check["Type"]} check" + (talks ? " (the proxy's own sequence, not the tcp-check send/expect lines)" : ""));
                break;
            case null when layer7 && isVirtualDirectory:
                break;
            case null when layer7:
                check["Type"] = "Tcp";
                break;
            case null:
                // HAProxy's plain check connects; the proxy's default for these ports reads what Exchange answers.
                if (port is 25 or 587 or 443 or 465 && !checkSsl)
                {
                    foreach (var server in servers.Where(s => s.Options.Check == true))
                    {
                        report.Approximated(server.Line, $"{owner}: probed with {(port is 25 or 587 ? "an Smtp check (220, EHLO)" : "a TlsHello check (a whole handshake)")}, not only a connect");
                    }
                }
                else if (checkSsl)
                {
                    check["Type"] = "TlsHello";
                }
                else
                {
                    check["Type"] = "Tcp";
                }

                break;
        }

        if (health is null && layer7 && isVirtualDirectory)
        {
            foreach (var server in servers.Where(s => s.Options.Check == true))
            {
                report.Approximated(server.Line, $"{owner}: probed on {servicePath}/healthcheck.htm (Exchange's health of that protocol), not only a connect");
            }
        }

        if (health?.Host is { Length: > 0 } host)
        {
            context.Namespaces.Add((host, health.Line));
        }

        RefinementLines(backend, owner, report);
        Timing(backend, servers, check, owner, context);
        if (!layer7 && servers.FirstOrDefault(s => s.Options.CheckPort is not null)?.Options.CheckPort is { } checkPort)
        {
            check["Port"] = checkPort;
        }
        else if (layer7 && servers.FirstOrDefault(s => s.Options.CheckPort is not null) is { } other)
        {
            report.Approximated(other.Line, $"port {other.Options.CheckPort}: {owner}'s Http probes go to the server's own port");
        }

        return check.Count == 0 ? null : check;
    }

    private static void RefinementLines(HaproxyProxy backend, string owner, ImportReport report)
    {
        foreach (var line in backend.CheckRules)
        {
            var rest = string.Join(' ', line.Words.Skip(2));
            switch (line.Word(0), line.Word(1))
            {
                case ("http-check", "expect") when rest is "status 200" or "rstatus ^200$" or "rstatus 200":
                    report.Mapped(line, $"{owner}: only 200 passes");
                    break;
                case ("http-check", "expect") when rest.Contains("200", StringComparison.Ordinal):
                    report.Approximated(line, $"{owner}: a check passes on status 200 (Exchange answers '200 OK<br/>SERVER' with it)");
                    break;
                case ("http-check", "expect"):
                    report.Approximated(line, $"{owner}: a check passes on status 200 only");
                    break;
                case ("http-check", "send"):
                    report.Mapped(line, $"{owner}: the probe's path; its Host is the Namespace");
                    break;
                case ("http-check", "disable-on-404"):
                    report.Approximated(line, $"{owner}: anything but 200 is a failed check; drain a server with the admin API");
                    break;
                case ("tcp-check", "connect"):
                    report.Mapped(line, $"{owner}: the check connects");
                    break;
                default:
                    report.Approximated(line, $"{owner}: the proxy's check type decides what is sent and expected");
                    break;
            }
        }
    }

    private static void Timing(HaproxyProxy backend, List<HaproxyServer> servers, JsonObject check, string owner, ImportContext context)
    {
        var report = context.Report;
        var first = servers.FirstOrDefault(s => s.Options.Check == true);
        if (first is not null)
        {
            foreach (var server in servers.Where(s => s.Options.Check == true))
            {
                var differs = server.Options.Inter != first.Options.Inter || server.Options.Rise != first.Options.Rise || server.Options.Fall != first.Options.Fall;
                report.Mark(server.Line, differs ? ImportVerdict.Approximated : ImportVerdict.Mapped,
                    differs ? $"{owner}: one interval, rise and fall per service, those of '{first.Name}'" : $"{owner}: probed");
            }

            if (first.Options.Inter is { } inter)
            {
                check["Interval"] = HaproxyDuration.Format(inter);
            }

            if (first.Options.Rise is { } rise)
            {
                check["Rise"] = Math.Min(rise, 100);
            }

            if (first.Options.Fall is { } fall)
            {
                check["Fall"] = Math.Min(fall, 100);
            }

            if (first.Options.Rise > 100 || first.Options.Fall > 100)
            {
                report.Approximated(first.Line, "rise and fall are at most 100");
            }

            foreach (var line in backend.DefaultServerLines)
            {
                report.Mapped(line, $"{owner}: the options of its servers");
            }
        }

        if (backend.Timeouts.TryGetValue("check", out var timeout))
        {
            check["Timeout"] = HaproxyDuration.Format(timeout.Value);
            report.Mapped(timeout.Line, $"{owner}: Check Timeout {HaproxyDuration.Format(timeout.Value)}");
        }
    }
}
