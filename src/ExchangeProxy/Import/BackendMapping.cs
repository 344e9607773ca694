using System.Text.Json.Nodes;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>What a backend becomes in a service (layer 7) or a pool (layer 4): servers, balance, affinity, checks, retries.</summary>
public static class BackendMapping
{
    /// <summary>The names of the backend's servers that take traffic; backup and disabled ones are left out (and said so).</summary>
    public static List<string> Servers(HaproxyProxy backend, bool layer7, ImportContext context)
    {
        var report = context.Report;
        var usable = backend.Servers.Where(s => s.Endpoint is not null).ToList();
        var serving = usable.Where(s => s.Serves).ToList();
        if (serving.Count == 0 && usable.Count > 0)
        {
            // Only backup or disabled servers: HAProxy would use the backups; so does the proxy, as ordinary servers.
            serving = [.. usable.Where(s => s.Options.Disabled != true)];
        }

        var names = new List<string>();
        foreach (var server in usable)
        {
            if (!serving.Contains(server))
            {
                report.Mark(server.Line, server.Options.Disabled == true ? ImportVerdict.Approximated : ImportVerdict.NotSupported,
                    server.Options.Disabled == true
                        ? "disabled: left out of this service (HAProxy starts it in maintenance); add it to the service's Servers when it should serve, and use the admin API's maint/ready for maintenance"
                        : "backup: no backup servers; left out of this service (list it as an ordinary server to share the load, or keep it out)");
                continue;
            }

            if (server.Options.Backup == true)
            {
                report.Approximated(server.Line, "backup: every server of this backend is a backup, so they serve as ordinary servers");
            }

            var name = context.Servers.Register(server, layer7);
            names.Add(name);
            report.Mapped(server.Line, $"server '{name}' at {server.Endpoint}");
            if (server.Options.ServerName is { } serverName)
            {
                context.Namespaces.Add((serverName, server.Line));
            }
        }

        return names;
    }

    /// <summary>Balance, affinity, retries, redispatch and the connect timeout, the same keys for services and pools.</summary>
    public static void Common(HaproxyProxy backend, JsonObject target, string owner, ImportContext context)
    {
        var report = context.Report;
        if (backend.Balance is { } balance)
        {
            var (mode, verdict, note) = balance.Value switch
            {
                "roundrobin" => ((string?)null, ImportVerdict.Mapped, "RoundRobin (the default)"),
                "static-rr" => (null, ImportVerdict.Approximated, "RoundRobin, smooth and weighted (weights apply at once)"),
                "leastconn" => ("LeastConn", ImportVerdict.Mapped, "LeastConn"),
                "source" => ("SourceHash", ImportVerdict.Mapped, "SourceHash"),
                "first" => (null, ImportVerdict.NotSupported, "no 'first' algorithm: RoundRobin, LeastConn or SourceHash"),
                "random" => (null, ImportVerdict.Approximated, "RoundRobin spreads as evenly"),
                _ => (null, ImportVerdict.NotSupported, $"no '{balance.Value}' algorithm: RoundRobin, LeastConn or SourceHash (client address); Affinity keeps a client on its server"),
            };
            if (mode is not null)
            {
                target["Balance"] = mode;
            }

            report.Mark(balance.Line, verdict, $"{owner}: {note}");
        }

        if (backend.Retries is { } retries)
        {
            var value = Math.Min(retries.Value, TcpService.MaxRetries);
            target["Retries"] = value;
            report.Mark(retries.Line, value == retries.Value ? ImportVerdict.Mapped : ImportVerdict.Approximated,
                $"{owner}: Retries {value}" + (value == retries.Value ? "" : $" (at most {TcpService.MaxRetries})"));
        }

        if (backend.Redispatch is { } redispatch)
        {
            if (!redispatch.Value)
            {
                target["Redispatch"] = false;
            }

            report.Mapped(redispatch.Line, $"{owner}: Redispatch {(redispatch.Value ? "true (the default)" : "false")}");
        }
        else
        {
            // HAProxy retries on the same server unless told to redispatch.
            target["Redispatch"] = false;
        }

        if (backend.Timeouts.TryGetValue("connect", out var connect))
        {
            target["ConnectTimeout"] = HaproxyDuration.Format(connect.Value);
            report.Mapped(connect.Line, $"{owner}: ConnectTimeout {HaproxyDuration.Format(connect.Value)}");
        }

        if (AffinityOf(backend, owner, context) is { } affinity)
        {
            target["Affinity"] = affinity;
        }

        var servers = backend.Servers.Where(s => s.Serves).ToList();
        if (servers.Any(s => s.Options.Verify == "none"))
        {
            target["AcceptAnyServerCertificate"] = true;
            foreach (var server in servers.Where(s => s.Options.Verify == "none"))
            {
                report.Mapped(server.Line, $"{owner}: AcceptAnyServerCertificate, for verify none (lab use; better: ServerCertificateAuthority)");
            }
        }

        foreach (var server in servers.Where(s => s.Options.CaFile is not null))
        {
            var file = context.PathOf(server.Options.CaFile!, context.CaBase);
            if (context.Globals["ServerCertificateAuthority"] is { } existing && existing.GetValue<string>() != file)
            {
                report.Approximated(server.Line, $"ca-file: one ServerCertificateAuthority for every service; kept {existing}");
            }
            else
            {
                context.Globals["ServerCertificateAuthority"] = file;
                report.Mapped(server.Line, "ca-file: ServerCertificateAuthority");
            }
        }
    }

    private static JsonObject? AffinityOf(HaproxyProxy backend, string owner, ImportContext context)
    {
        var report = context.Report;
        var table = backend.StickTable;
        var stick = backend.StickOnSource;
        if (stick?.Value is { } named)
        {
            table = context.Backend(named)?.StickTable ?? context.Proxies.FirstOrDefault(p => p.Name == named)?.StickTable;
            if (table is null)
            {
                throw new HaproxyImportException(stick.Line.Number, $"no stick-table in a section named '{named}'");
            }
        }

        if (stick is null)
        {
            if (table is not null)
            {
                report.Mapped(table.Line, "no 'stick on src' uses this table: no affinity");
            }

            return null;
        }

        if (table is null)
        {
            throw new HaproxyImportException(stick.Line.Number, "'stick on' needs a stick-table in this backend (or 'table NAME')");
        }

        if (table.Type is not ("ip" or "ipv6"))
        {
            report.NotSupported(table.Line, $"type {table.Type}: the stick table keys clients by address (type ip)");
            report.NotSupported(stick.Line, "no affinity on anything but the client's address");
            return null;
        }

        var affinity = new JsonObject { ["Mode"] = "ClientIp", ["Table"] = ImportNames.Of(stick.Value ?? backend.Name) };
        var notes = new List<string>();
        var verdict = ImportVerdict.Mapped;
        if (table.Size is { } size)
        {
            affinity["Size"] = Math.Min(size, StickTableSettings.MaxSize);
            if (size > StickTableSettings.MaxSize)
            {
                verdict = ImportVerdict.Approximated;
                notes.Add($"size at most {StickTableSettings.MaxSize}");
            }
        }

        if (table.Expire is { } expire)
        {
            affinity["Expire"] = HaproxyDuration.Format(expire);
        }

        report.Mark(table.Line, verdict, $"{owner}: Affinity ClientIp, table '{affinity["Table"]}'" + (notes.Count > 0 ? $" ({string.Join(", ", notes)})" : ""));
        report.Mapped(stick.Line, $"{owner}: Affinity ClientIp");
        if (table.Peers is not null)
        {
            report.Approximated(table.Line, "peers: the instances share stick tables through a Redis (ExchangeProxy:Redis), not with each other");
            report.Notice("The HAProxy stick tables were shared with peers: run a Redis that every ExchangeProxy instance reaches and set ExchangeProxy:Redis:Configuration (README, Affinity).");
        }

        return affinity;
    }
}
