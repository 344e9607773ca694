using System.Text.Json.Nodes;

namespace ExchangeProxy.Import;

/// <summary>
/// A stats page (<c>listen stats</c>) as the admin listener: its address, its users (<c>stats auth</c>, or a userlist
/// behind <c>stats http-request auth</c>) with their passwords hashed and never repeated, its refresh.
/// </summary>
public static class AdminMapping
{
    public static void Map(HaproxyProxy stats, ImportContext context)
    {
        var report = context.Report;
        var admin = new JsonObject();
        var users = new JsonArray();
        var clear = new List<string>();
        foreach (var line in stats.StatsLines)
        {
            switch (line.Word(1))
            {
                case "enable":
                    report.Mapped(line, "the stats page on the admin listener");
                    break;
                case "uri" when line.Word(2) == "/":
                    report.Mapped(line, "the stats page is / of the admin listener");
                    break;
                case "uri":
                    report.Approximated(line, $"the stats page is / of the admin listener, not {line.Word(2)} (JSON: /;json, CSV: /;csv)");
                    break;
                case "hide-version":
                    report.Mapped(line, "the stats page never shows a version");
                    break;
                case "refresh":
                    var refresh = HaproxyDuration.Parse(line.Word(2), line);
                    admin["StatsRefresh"] = HaproxyDuration.Format(refresh);
                    report.Mapped(line, $"Admin:StatsRefresh {HaproxyDuration.Format(refresh)}");
                    break;
                case "auth":
                    var colon = line.Word(2).IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        throw new HaproxyImportException(line.Number, "'stats auth' expects USER:PASSWORD");
                    }

                    var name = line.Word(2)[..colon];
                    users.Add(new JsonObject { ["Name"] = name, ["PasswordHash"] = Admin.PasswordHash.Create(line.Word(2)[(colon + 1)..]) });
                    clear.Add($"{name} (line {line.Number})");
                    report.Mapped(line, $"Admin:Users '{name}', the password hashed (PBKDF2); change it: it was in clear in the HAProxy file");
                    break;
                case "http-request" when line.Word(2) == "auth":
                    Userlist(stats, line, users, clear, context);
                    break;
                case "admin":
                    report.Approximated(line, "drain, maint and ready are on the page and the API for whoever may use the admin listener (loopback, its API key or users)");
                    break;
                case "realm" or "show-legends" or "show-node" or "show-desc" or "show-modules" or "scope":
                    report.Approximated(line, "the page shows every service and listener, with a fixed layout");
                    break;
                default:
                    report.NotSupported(line, $"'stats {line.Word(1)}' has no equivalent on the stats page");
                    break;
            }
        }

        var bind = stats.Binds.FirstOrDefault();
        var endpoint = bind?.Endpoints[0];
        if (bind is null || endpoint is null)
        {
            report.Approximated(stats.Header, "the stats page is on the admin listener's default address, http://127.0.0.1:4711");
        }
        else
        {
            var loopback = endpoint.IsLoopback;
            var host = loopback || users.Count > 0 ? endpoint.HostForUrl : "127.0.0.1";
            admin["Url"] = $"http://{host}:{endpoint.Port}";
            if (loopback || users.Count > 0)
            {
                report.Mark(bind.Line, bind.Ssl ? ImportVerdict.Approximated : ImportVerdict.Mapped,
                    $"Admin:Url {admin["Url"]}" + (bind.Ssl ? " (the admin listener is plain HTTP: keep it on a management network)" : ""));
            }
            else
            {
                report.Approximated(bind.Line,
                    $"Admin:Url {admin["Url"]}: an admin listener reachable from other hosts needs users (stats auth) or an API key; add Admin:ApiKeySha256 or Users and set Url to http://{endpoint}");
            }

            if (bind.Endpoints.Count > 1)
            {
                report.Approximated(bind.Line, $"one admin listener address: {endpoint}");
            }

            foreach (var other in stats.Binds.Skip(1))
            {
                report.Approximated(other.Line, $"one admin listener address: {endpoint}");
            }

            report.Mapped(stats.Header, "the admin listener");
        }

        if (stats.Mode is { } mode)
        {
            report.Mapped(mode.Line, "the admin listener speaks HTTP");
        }

        if (users.Count > 0)
        {
            admin["Users"] = users;
            report.Notice($"Admin:Users: the passwords of {string.Join(", ", clear)} were written in clear in the HAProxy file and are hashed here: change them "
                + "(printf '%s\\n' 'a new passphrase' | ExchangeProxy --hash-password) and take them out of the HAProxy file.");
        }

        context.Admin = admin;
    }

    /// <summary><c>stats http-request auth unless AUTH</c>, where <c>acl AUTH http_auth(USERLIST)</c>: the userlist's users.</summary>
    private static void Userlist(HaproxyProxy stats, HaproxyLine line, JsonArray users, List<string> clear, ImportContext context)
    {
        var report = context.Report;
        var listName = stats.Acls.Values.SelectMany(d => d)
            .Select(d => d.Match.Fetch)
            .Where(f => f.StartsWith("http_auth(", StringComparison.Ordinal) || f.StartsWith("http_auth_group(", StringComparison.Ordinal))
            .Select(f => f[(f.IndexOf('(', StringComparison.Ordinal) + 1)..^1]).FirstOrDefault();
        if (listName is null || !context.Userlists.TryGetValue(listName, out var list))
        {
            report.NotSupported(line, "no userlist found through http_auth(): add the users to Admin:Users with --hash-password");
            return;
        }

        foreach (var acl in stats.Acls.Values.SelectMany(d => d).Where(d => d.Match.Fetch.StartsWith("http_auth", StringComparison.Ordinal)))
        {
            report.Mapped(acl.Line, $"the users of userlist {listName}");
        }

        report.Mapped(line, $"Admin:Users from userlist {listName}");
        foreach (var user in list)
        {
            if (user.ClearPassword is null)
            {
                report.NotSupported(user.Line, $"a crypt(3) hash cannot become the proxy's PBKDF2 hash: give '{user.Name}' a new password with --hash-password and add it to Admin:Users");
                continue;
            }

            users.Add(new JsonObject { ["Name"] = user.Name, ["PasswordHash"] = Admin.PasswordHash.Create(user.ClearPassword) });
            clear.Add($"{user.Name} (line {user.Line.Number})");
            report.Mapped(user.Line, $"Admin:Users '{user.Name}', the password hashed (PBKDF2); change it: it was in clear in the HAProxy file");
        }
    }
}
