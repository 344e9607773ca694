using System.Globalization;
using System.Text;

namespace ExchangeProxy.Admin;

/// <summary>
/// The stats as CSV, in the spirit of HAProxy's <c>;csv</c>: a "# " header line, one row per server and a
/// TOTAL row per service, HAProxy's column names where the meaning is the same.
/// </summary>
public static class StatsCsv
{
    public const string Header =
        "# pxname,svname,layer,status,weight,scur,smax,stot,rate,bin,bout,econ,eresp,hrsp_5xx,wretr,wredis,check_type,check_status,check_duration,last_chk_ago,lastchg,stick_table,stick_entries";

    public static string Write(StatsReport report)
    {
        var csv = new StringBuilder(Header).Append('\n');
        foreach (var section in report.Sections)
        {
            foreach (var row in section.Servers.Append(section.Total))
            {
                csv.AppendJoin(',',
                    Field(section.Name), Field(row.Server), section.Layer, row.State, Number(row.Weight), Number(row.Current), Number(row.Max),
                    Number(row.Total), Number(row.Rate), Number(row.BytesIn), Number(row.BytesOut), Number(row.ConnectErrors),
                    Number(row.ResponseErrors), Number(row.ServerErrors), Number(row.Retries), Number(row.Redispatches),
                    row.CheckType ?? "", Field(row.CheckResult ?? ""), Number(row.CheckLatencyMs), Number(row.CheckAgoSeconds),
                    Number(row.InStateSeconds), section.Affinity?.Table ?? "", Number(section.Affinity?.Entries))
                    .Append('\n');
            }
        }

        return csv.ToString();
    }

    private static string Number(double? value) => value switch
    {
        null => "",
        var v when v == Math.Floor(v.Value) => ((long)v.Value).ToString(CultureInfo.InvariantCulture),
        var v => v.Value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    /// <summary>Quoted when it holds a comma or a quote (RFC 4180).</summary>
    private static string Field(string text) =>
        text.Contains(',', StringComparison.Ordinal) || text.Contains('"', StringComparison.Ordinal)
            ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : text;
}
