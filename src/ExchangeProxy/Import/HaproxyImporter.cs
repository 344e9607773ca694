using System.Text.Json.Nodes;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>
/// Converts an HAProxy configuration into the proxy's: <c>ExchangeProxy</c> (servers, services, listeners, admin,
/// protection) and <c>Kestrel</c> (endpoints, certificates, limits), with a verdict for every line.
/// </summary>
public static class HaproxyImporter
{
    /// <param name="baseDirectory">Where relative paths in the file are read from: the HAProxy file's directory.</param>
    /// <exception cref="HaproxyImportException">The file cannot be read as HAProxy's syntax; the message names the line.</exception>
    public static ImportResult Import(string text, string baseDirectory)
    {
        var sections = HaproxyConfigFile.Parse(text);
        var context = new ImportContext(baseDirectory);
        var report = context.Report;
        var defaults = new HaproxyProxy("defaults", "", new HaproxyLine(0, ["defaults"]));
        foreach (var section in sections)
        {
            switch (section.Kind)
            {
                case "global":
                    GlobalReader.Read(section, context);
                    break;
                case "defaults":
                    // Each defaults section starts afresh and applies to the sections after it.
                    defaults = ProxyReader.Read(section, new HaproxyProxy("defaults", "", section.Header), report);
                    report.Mapped(section.Header, "inherited by the sections after it");
                    break;
                case "frontend" or "backend" or "listen":
                    var proxy = ProxyReader.Read(section, defaults, report);
                    if (context.Proxies.FirstOrDefault(p => p.Name == proxy.Name && (p.IsFrontend && proxy.IsFrontend || p.IsBackend && proxy.IsBackend)) is { } twin)
                    {
                        throw new HaproxyImportException(section.Header.Number, $"'{proxy.Name}' is also the name of the {twin.Kind} on line {twin.Header.Number}");
                    }

                    context.Proxies.Add(proxy);
                    break;
                case "userlist":
                    ReadUserlist(section, context);
                    break;
                case "peers":
                    foreach (var line in section.Lines.Prepend(section.Header))
                    {
                        report.Approximated(line, "the instances share stick tables through a Redis (ExchangeProxy:Redis), not with each other");
                    }

                    break;
                default:
                    foreach (var line in section.Lines.Prepend(section.Header))
                    {
                        report.NotSupported(line, $"a '{section.Kind}' section has no equivalent in the proxy");
                    }

                    break;
            }
        }

        MapProxies(context);
        PickNamespace(context);
        foreach (var section in sections)
        {
            var unused = section.Kind == "defaults"
                ? "no section after it uses it (each sets its own, or none needs it)"
                : "no effect on the converted configuration";
            foreach (var line in section.Lines.Prepend(section.Header).Where(l => report.VerdictOf(l.Number) is null))
            {
                report.Mapped(line, unused);
            }
        }

        return new ImportResult(Document(context), report);
    }

    private static void MapProxies(ImportContext context)
    {
        var report = context.Report;
        var stats = context.Proxies.Where(p => p.IsFrontend && p.ServesStats && p.Servers.Count == 0 && p.DefaultBackend is null && !p.RulesOf("use-backend").Any()).ToList();
        if (stats.Count > 0)
        {
            AdminMapping.Map(stats[0], context);
        }

        foreach (var extra in stats.Skip(1))
        {
            foreach (var line in extra.StatsLines.Append(extra.Header).Concat(extra.Binds.Select(b => b.Line)))
            {
                report.NotSupported(line, $"one stats page, on the admin listener ('{stats[0].Name}')");
            }
        }

        foreach (var proxy in context.Proxies.Where(p => !stats.Contains(p)))
        {
            foreach (var line in proxy.StatsLines)
            {
                report.NotSupported(line, "the stats page is served on the admin listener only, never on a public listener");
            }
        }

        var frontends = context.Proxies.Where(p => p.IsFrontend && !stats.Contains(p) && (p.Binds.Count > 0 || p.Kind == "frontend")).ToList();
        var http = frontends.Where(p => !p.IsTcp).ToList();
        if (http.Count > 0)
        {
            HttpMapping.Map(http, context);
        }
        else
        {
            foreach (var vdir in ExchangeVirtualDirectories.All)
            {
                context.Services[vdir.Name] = new JsonObject { ["Enabled"] = false };
            }
        }

        TcpMapping.Map([.. frontends.Where(p => p.IsTcp)], context);
    }

    private static void PickNamespace(ImportContext context)
    {
        foreach (var (name, line) in context.Namespaces)
        {
            var candidate = name.Trim().TrimEnd('.');
            if (Uri.CheckHostName(candidate) == UriHostNameType.Dns && candidate.Contains('.', StringComparison.Ordinal))
            {
                context.Globals["Namespace"] = candidate;
                context.Report.Mapped(line, $"Namespace {candidate}: probes ask for it and check the CAS certificates against it");
                return;
            }
        }
    }

    private static void ReadUserlist(HaproxySection section, ImportContext context)
    {
        var users = new List<HaproxyUser>();
        context.Userlists[section.Name] = users;
        foreach (var line in section.Lines)
        {
            switch (line.Word(0))
            {
                case "user" when line.Words.Count >= 2:
                    var at = line.Words.ToList().FindIndex(w => w is "password" or "insecure-password");
                    if (at >= 0 && at + 1 >= line.Words.Count)
                    {
                        throw new HaproxyImportException(line.Number, $"'{line.Words[at]}' expects a value");
                    }

                    users.Add(new HaproxyUser(line.Words[1], at >= 0 && line.Words[at] == "insecure-password" ? line.Words[at + 1] : null, line));
                    break;
                case "group":
                    context.Report.Approximated(line, "no groups: every user of Admin:Users may use the admin listener");
                    break;
                default:
                    context.Report.NotSupported(line, $"'{line.Word(0)}' is not a userlist keyword");
                    break;
            }
        }
    }

    private static JsonObject Document(ImportContext context)
    {
        var section = new JsonObject { ["Servers"] = context.Servers.ToJson() };
        if (context.Services.Count > 0)
        {
            section["Services"] = context.Services;
        }

        if (context.Listeners.Count > 0)
        {
            section["Listeners"] = context.Listeners;
        }

        foreach (var (key, value) in context.Globals.ToList())
        {
            context.Globals.Remove(key);
            section[key] = value;
        }

        if (context.Admin is { } admin)
        {
            section["Admin"] = admin;
        }

        if (context.InternalOnly.Count > 0)
        {
            section["Protection"] = new JsonObject { ["InternalOnly"] = context.InternalOnly };
        }

        var document = new JsonObject { [ExchangeProxyOptions.SectionName] = section };
        if (context.Endpoints.Count > 0 || context.KestrelLimits.Count > 0)
        {
            var kestrel = new JsonObject();
            if (context.KestrelLimits.Count > 0)
            {
                kestrel["Limits"] = context.KestrelLimits;
            }

            if (context.Endpoints.Count > 0)
            {
                kestrel["Endpoints"] = context.Endpoints;
            }

            document["Kestrel"] = kestrel;
        }

        return document;
    }
}
