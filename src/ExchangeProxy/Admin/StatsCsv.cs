using System.Collections.Frozen;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ExchangeProxy.Admin;

/// <summary>
/// The stats as HAProxy's <c>show stat</c> CSV (<c>;csv</c>), so that tools reading HAProxy's by position read ours:
/// HAProxy 2.6's columns in its order, then ours; per service (HAProxy's proxy) a FRONTEND row (type 0), a row per
/// server (type 2) and a BACKEND row (type 1); HAProxy's status words; an empty field where the proxy keeps no
/// such value (queues, agents, compression, per-status counts but 5xx).
/// </summary>
public static class StatsCsv
{
    /// <summary>
    /// HAProxy 2.6's columns, in its order, up to its "-": after that column HAProxy lists its modules' fields
    /// (ssl, h1, h2...), which vary with the build; ours take their place.
    /// </summary>
    public static readonly IReadOnlyList<string> HaproxyColumns =
    [
        "pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot", "bin", "bout", "dreq", "dresp", "ereq",
        "econ", "eresp", "wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown", "lastchg",
        "downtime", "qlimit", "pid", "iid", "sid", "throttle", "lbtot", "tracked", "type", "rate", "rate_lim",
        "rate_max", "check_status", "check_code", "check_duration", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx",
        "hrsp_5xx", "hrsp_other", "hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt", "srv_abrt",
        "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess", "last_chk", "last_agt", "qtime", "ctime", "rtime",
        "ttime", "agent_status", "agent_code", "agent_duration", "check_desc", "agent_desc", "check_rise",
        "check_fall", "check_health", "agent_rise", "agent_fall", "agent_health", "addr", "cookie", "mode", "algo",
        "conn_rate", "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses", "wrew", "connect", "reuse",
        "cache_lookups", "cache_hits", "srv_icur", "src_ilim", "qtime_max", "ctime_max", "rtime_max", "ttime_max",
        "eint", "idle_conn_cur", "safe_conn_cur", "used_conn_cur", "need_conn_est", "uweight", "agg_server_status",
        "agg_server_check_status", "agg_check_status", "-",
    ];

    /// <summary>Ours: the check's kind, seconds since it ran (servers), the service's stick table and its clients (BACKEND).</summary>
    public static readonly IReadOnlyList<string> OwnColumns = ["check_type", "last_chk_ago", "stick_table", "stick_entries"];

    /// <summary>As HAProxy writes it: "# ", the names, a comma after the last.</summary>
    public static readonly string Header = "# " + string.Join(',', HaproxyColumns.Concat(OwnColumns)) + ",";

    private const string Frontend = "0";
    private const string Backend = "1";
    private const string Server = "2";

    private static readonly FrozenDictionary<string, int> Index =
        HaproxyColumns.Concat(OwnColumns).Select((name, i) => (name, i)).ToFrozenDictionary(c => c.name, c => c.i, StringComparer.Ordinal);

    public static string Write(StatsReport report)
    {
        var csv = new StringBuilder(Header).Append('\n');
        for (var i = 0; i < report.Sections.Count; i++)
        {
            var section = report.Sections[i];
            // HAProxy numbers proxies (iid) and the servers of each (sid) from 1; pid is the process, 1 here.
            var iid = Number(i + 1);
            WriteFrontend(csv, section, iid);
            for (var s = 0; s < section.Servers.Count; s++)
            {
                WriteServer(csv, section, section.Servers[s], iid, Number(s + 1));
            }

            WriteBackend(csv, section, iid);
        }

        return csv.ToString();
    }

    private static void WriteFrontend(StringBuilder csv, StatsSection section, string iid)
    {
        var row = Start(section, "FRONTEND", iid, "0", Frontend);
        var total = section.Total;
        row["status"] = "OPEN";
        row["rate"] = Number(total.Rate);
        row["bin"] = Number(total.BytesIn);
        row["bout"] = Number(total.BytesOut);
        if (section.Listener is { } listener)
        {
            // A layer-4 listener's own count: connections accepted, open now, and refused (allow-list,
            // MaxConnections, no server), as HAProxy counts connections denied by tcp-request rules.
            row["scur"] = Number(listener.Current);
            row["stot"] = Number(listener.Total);
            row["conn_tot"] = Number(listener.Total);
            row["dcon"] = Number(listener.Refused);
        }
        else
        {
            row["scur"] = Number(total.Current);
            row["stot"] = Number(total.Total);
        }

        if (section.Layer == "http")
        {
            row["req_tot"] = Number(total.Total);
            row["req_rate"] = Number(total.Rate);
            row["hrsp_5xx"] = Number(total.ServerErrors);
        }

        row.WriteTo(csv);
    }

    private static void WriteServer(StringBuilder csv, StatsSection section, StatsRow server, string iid, string sid)
    {
        var row = Start(section, server.Server, iid, sid, Server);
        Counts(row, section, server);
        row["smax"] = Number(server.Max);
        row["status"] = Status(server);
        row["weight"] = Number(server.Weight);
        row["act"] = "1";
        row["bck"] = "0";
        row["lastchg"] = Whole(server.InStateSeconds);
        var (status, code) = Check(server);
        row["check_status"] = status;
        row["check_code"] = code;
        row["check_duration"] = Whole(server.CheckLatencyMs);
        row["last_chk"] = Field(server.CheckResult ?? "");
        row["check_type"] = server.CheckType ?? "";
        row["last_chk_ago"] = Number(server.CheckAgoSeconds);
        row.WriteTo(csv);
    }

    private static void WriteBackend(StringBuilder csv, StatsSection section, string iid)
    {
        var total = section.Total;
        var row = Start(section, "BACKEND", iid, "0", Backend);
        Counts(row, section, total);
        row["status"] = total.State == "UP" ? "UP" : "DOWN";
        row["weight"] = Number(total.Weight);
        row["act"] = Number(section.Servers.Count(s => s.State is "UP" or "UNKNOWN"));
        row["bck"] = "0";
        if (section.Layer == "http")
        {
            row["req_tot"] = Number(total.Total);
        }

        row["stick_table"] = section.Affinity?.Table ?? "";
        row["stick_entries"] = Number(section.Affinity?.Entries);
        row.WriteTo(csv);
    }

    private static Row Start(StatsSection section, string svname, string iid, string sid, string type)
    {
        var row = new Row();
        row["pxname"] = Field(section.Name);
        row["svname"] = Field(svname);
        row["pid"] = "1";
        row["iid"] = iid;
        row["sid"] = sid;
        row["type"] = type;
        row["mode"] = section.Layer;
        // HAProxy's marker between its own fields and its modules' fills its column on every line.
        row["-"] = "-";
        return row;
    }

    /// <summary>What servers and backends both count.</summary>
    private static void Counts(Row row, StatsSection section, StatsRow counts)
    {
        row["scur"] = Number(counts.Current);
        row["stot"] = Number(counts.Total);
        row["bin"] = Number(counts.BytesIn);
        row["bout"] = Number(counts.BytesOut);
        row["econ"] = Number(counts.ConnectErrors);
        row["eresp"] = Number(counts.ResponseErrors);
        row["wretr"] = Number(counts.Retries);
        row["wredis"] = Number(counts.Redispatches);
        row["rate"] = Number(counts.Rate);
        if (section.Layer == "http")
        {
            row["hrsp_5xx"] = Number(counts.ServerErrors);
        }
    }

    /// <summary>
    /// HAProxy's words: UP, DOWN, MAINT, DRAIN (also weight 0), and "no check" for a server that is up and never
    /// probed. Before its first check a server serves, as HAProxy's start UP.
    /// </summary>
    private static string Status(StatsRow server) => server.State switch
    {
        "UP" when server.CheckType is null => "no check",
        "UNKNOWN" => "UP",
        var state => state,
    };

    /// <summary>HAProxy's check_status and check_code for the last check: INI before the first; L4/L6/L7 as the check's layer.</summary>
    private static (string Status, string Code) Check(StatsRow server)
    {
        if (server.CheckType is null)
        {
            return ("", "");
        }

        if (server.CheckPassed is not { } passed || server.CheckResult is not { } detail)
        {
            return ("INI", "");
        }

        var httpStatus = detail.Length >= 3 && int.TryParse(detail.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? code.ToString(CultureInfo.InvariantCulture)
            : "";
        var layer7 = server.CheckType is "Http" or "Smtp";
        return passed switch
        {
            true when layer7 => ("L7OK", server.CheckType == "Http" ? httpStatus : ""),
            true => (server.CheckType == "TlsHello" ? "L6OK" : "L4OK", ""),
            false when detail.StartsWith("timeout", StringComparison.OrdinalIgnoreCase) => (layer7 ? "L7TOUT" : "L4TOUT", ""),
            false when detail.StartsWith("TLS", StringComparison.OrdinalIgnoreCase) => ("L6RSP", ""),
            false when server.CheckType == "Http" && httpStatus != "" => ("L7STS", httpStatus),
            // A connect that failed, in the probes' words: "refused" or the socket error's name.
            false when detail == "refused" || Enum.GetNames<SocketError>().Contains(detail, StringComparer.Ordinal) => ("L4CON", ""),
            false when layer7 => ("L7RSP", ""),
            false => ("L4CON", ""),
        };
    }

    private static string Number(double? value) => value switch
    {
        null => "",
        var v when v == Math.Floor(v.Value) => ((long)v.Value).ToString(CultureInfo.InvariantCulture),
        var v => v.Value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    /// <summary>A whole number, as HAProxy's times (lastchg in seconds, check_duration in ms) are.</summary>
    private static string Whole(double? value) => value is { } v ? ((long)Math.Round(v)).ToString(CultureInfo.InvariantCulture) : "";

    /// <summary>Quoted when it holds a comma or a quote (RFC 4180).</summary>
    private static string Field(string text) =>
        text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal)
            ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : text;

    /// <summary>One line, by column name; a column not set stays empty.</summary>
    private sealed class Row
    {
        private readonly string[] _fields = new string[Index.Count];

        public string this[string column]
        {
            set => _fields[Index[column]] = value;
        }

        /// <summary>Every field followed by a comma, the last too, as HAProxy writes its lines.</summary>
        public void WriteTo(StringBuilder csv)
        {
            foreach (var field in _fields)
            {
                csv.Append(field).Append(',');
            }

            csv.Append('\n');
        }
    }
}
