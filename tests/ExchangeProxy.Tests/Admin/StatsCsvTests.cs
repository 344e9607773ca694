using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ExchangeProxy.Admin;
using ExchangeProxy.Health;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Admin;

/// <summary>/;csv read as HAProxy's: its columns in its order (from the Debian package's haproxy, in the same run) and its row kinds.</summary>
public sealed class StatsCsvTests : TwoCasServersTest
{
    private readonly FakeTimeProvider _time = new();

    /// <summary>The header HAProxy 2.6 itself serves on its stats page's <c>;csv</c>.</summary>
    private static async Task<string[]> HaproxyHeaderAsync()
    {
        await using var haproxy = await HaproxyProcess.StartAsync("""
            defaults
                mode http
                timeout client 10s
                timeout server 10s
                timeout connect 10s
            listen stats
                bind 127.0.0.1:{port}
                stats enable
                stats uri /
            """);
        using var http = new HttpClient();
        var csv = await http.GetStringAsync(new Uri($"http://127.0.0.1:{haproxy.Port}/;csv"));
        var header = csv.Split('\n')[0];
        Assert.StartsWith("# pxname,svname,", header, StringComparison.Ordinal);
        return header[2..].Split(',');
    }

    /// <summary>One CSV line's fields (RFC 4180 quotes), as a tool reading HAProxy's CSV splits them.</summary>
    private static List<string> Fields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            switch (line[i])
            {
                case '"' when quoted && i + 1 < line.Length && line[i + 1] == '"':
                    field.Append('"');
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case ',' when !quoted:
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                default:
                    field.Append(line[i]);
                    break;
            }
        }

        fields.Add(field.ToString());
        return fields;
    }

    [Fact]
    public async Task Haproxys_columns_come_first_in_its_order_and_a_tool_reading_by_position_reads_each_row_kind()
    {
        var theirs = await HaproxyHeaderAsync();
        var fixedPart = theirs[..(Array.IndexOf(theirs, "-") + 1)];
        Assert.True(fixedPart.Length > 100, $"HAProxy's header has its fixed columns up to \"-\": {string.Join(',', theirs)}");

        var listener = new JsonObject
        {
            ["Listen"] = "127.0.0.1:0",
            ["Port"] = Exchange1.Port,
            ["Servers"] = new JsonArray("exchange1"),
            ["Check"] = new JsonObject { ["Type"] = "TlsHello" },
        };
        var config = Config().Listener("https", listener);
        await using var proxy = await RunningProxy.StartAsync(config, _time);
        await ProbeRounds.FirstRoundAsync(proxy);
        using (var client = proxy.CreateClient())
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/owa/")).StatusCode);
            }
        }

        using var admin = proxy.CreateAdminClient();
        (await admin.PostAsync("/api/servers/exchange2/drain?service=owa", null)).EnsureSuccessStatusCode();
        (await admin.PostAsync("/api/servers/exchange1/maint?service=ews", null)).EnsureSuccessStatusCode();
        Exchange2.SetHealthCheck("ecp", 503);
        var ecp = proxy.Services.GetRequiredService<HealthStates>().Find("ecp", "exchange2")!;
        await ProbeRounds.AdvanceUntilAsync(_time, proxy, "ecp", "exchange2", ecp.Checks + 3);
        Assert.Equal(ProbeState.Down, ecp.State);

        var lines = (await admin.GetStringAsync("/;csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ours = lines[0][2..].Split(',');
        Assert.Equal(fixedPart, ours[..fixedPart.Length]);
        Assert.Equal(StatsCsv.Header, lines[0]);
        var rows = lines.Skip(1).Select(Fields).ToList();
        Assert.All(rows, row => Assert.Equal(ours.Length, row.Count));

        // A tool that knows HAProxy's positions: pxname 0, svname 1, stot 7, status 17, type 32, check_status 36, check_code 37.
        int At(string column) => Array.IndexOf(theirs, column);
        Assert.Equal((0, 1, 7, 17, 32, 36, 37), (At("pxname"), At("svname"), At("stot"), At("status"), At("type"), At("check_status"), At("check_code")));
        string Read(string proxyName, string server, int index) => rows.Single(r => r[0] == proxyName && r[1] == server)[index];

        // Each service: FRONTEND (type 0), its servers (type 2), BACKEND (type 1), in that order.
        Assert.Equal(
            [("FRONTEND", "0"), ("exchange1", "2"), ("exchange2", "2"), ("BACKEND", "1")],
            rows.Where(r => r[0] == "owa").Select(r => (r[1], r[32])));
        Assert.Equal("OPEN", Read("owa", "FRONTEND", 17));
        Assert.Equal("UP", Read("owa", "exchange1", 17));
        Assert.Equal("DRAIN", Read("owa", "exchange2", 17));
        Assert.Equal("MAINT", Read("ews", "exchange1", 17));
        Assert.Equal("DOWN", Read("ecp", "exchange2", 17));
        Assert.Equal("UP", Read("ecp", "BACKEND", 17));
        Assert.Equal("2", Read("owa", "exchange1", 7));
        Assert.Equal("2", Read("owa", "exchange2", 7));
        Assert.Equal("4", Read("owa", "BACKEND", 7));
        Assert.Equal("4", Read("owa", "FRONTEND", 7));
        Assert.Equal(("L7OK", "200"), (Read("owa", "exchange1", 36), Read("owa", "exchange1", 37)));
        Assert.Equal(("L7STS", "503"), (Read("ecp", "exchange2", 36), Read("ecp", "exchange2", 37)));
        Assert.Equal("503 from /ecp/healthcheck.htm", Read("ecp", "exchange2", At("last_chk")));
        Assert.Equal("http", Read("owa", "exchange1", At("mode")));
        Assert.All(rows, row => Assert.Equal("-", row[At("-")]));
        // Where the proxy keeps no such value, the field is empty: queues, per-status counts but 5xx.
        Assert.Equal(("", "", "0"), (Read("owa", "exchange1", At("qcur")), Read("owa", "exchange1", At("hrsp_2xx")), Read("owa", "exchange1", At("hrsp_5xx"))));

        // A layer-4 listener is a proxy of mode tcp, its check a TLS handshake.
        Assert.Equal(
            [("FRONTEND", "0", "OPEN"), ("exchange1", "2", "UP"), ("BACKEND", "1", "UP")],
            rows.Where(r => r[0] == "https").Select(r => (r[1], r[32], r[17])));
        Assert.Equal("tcp", Read("https", "BACKEND", At("mode")));
        Assert.Equal("L6OK", Read("https", "exchange1", 36));
        // Ours after HAProxy's.
        Assert.Equal("TlsHello", Read("https", "exchange1", Array.IndexOf(ours, "check_type")));
        Assert.True(Array.IndexOf(ours, "check_type") > fixedPart.Length - 1);
    }
}
