using System.Text.Json.Nodes;
using ExchangeProxy.Import;

namespace ExchangeProxy.Tests.Import;

/// <summary>What HAProxy settings become in the proxy's configuration, and what the report says of each line.</summary>
public sealed class HaproxyImporterTests
{
    private const string HttpFront = """
        frontend fe
            mode http
            bind :443 ssl crt /etc/haproxy/mail.pem

        """;

    private static ImportResult Import(string text) => HaproxyImporter.Import(text.Replace("\r", "", StringComparison.Ordinal), Path.GetTempPath());

    private static JsonNode Section(ImportResult result) => result.Configuration["ExchangeProxy"]!;

    private static string Line(ImportResult result, int number) =>
        result.Report.Format("haproxy.cfg").Split('\n').Single(l => l.StartsWith($"haproxy.cfg:{number}:", StringComparison.Ordinal));

    [Fact]
    public void An_unknown_keyword_is_reported_not_supported_with_its_line_and_the_rest_is_converted()
    {
        var result = Import("""
            backend be
                mode tcp
                frobnicate on
                server exch1 10.0.0.1:443 check
            frontend fe
                mode tcp
                bind :443
                default_backend be
            """);

        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(3));
        Assert.Contains("'frobnicate' is not a keyword the importer knows", Line(result, 3), StringComparison.Ordinal);
        Assert.Equal("0.0.0.0:443", Section(result)["Listeners"]!["fe"]!["Listen"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("backend be\n    server exch1\n", 2, "has no address")]
    [InlineData("backend be\n    server exch1 check\n", 2, "has no address")]
    [InlineData("backend be\n    server exch1 10.0.0.1:99999\n", 2, "not a port")]
    [InlineData("defaults\n    timeout connect 10x\n", 2, "unknown time unit")]
    [InlineData("defaults\n    timeout connect\n", 2, "needs a duration")]
    [InlineData("defaults\n    timeout nap 5s\n", 2, "not an HAProxy timeout")]
    [InlineData("defaults\n    retries many\n", 2, "whole number")]
    [InlineData("backend be\n    server exch1 10.0.0.1 weight 300\n", 2, "0 to 256")]
    [InlineData("frontend fe\n    bind :443\n    use_backend be if nowhere\n", 3, "no ACL named 'nowhere'")]
    [InlineData("frontend fe\n    mode http\n    bind :80\n    default_backend missing\n", 4, "no backend named 'missing'")]
    [InlineData("frontend fe\n    bind :443 ssl\n", 2, "needs a certificate")]
    [InlineData("listen stats\n    bind 127.0.0.1:8404\n    stats enable\n    stats auth admin\n", 4, "USER:PASSWORD")]
    public void Malformed_input_is_an_error_naming_its_line(string text, int line, string message)
    {
        var error = Assert.Throws<HaproxyImportException>(() => Import(text));

        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Path_acls_route_virtual_directories_to_their_backends_and_other_paths_to_services_of_their_own()
    {
        var result = Import(HttpFront + """
                acl web path_beg -i /owa /ecp
                acl sync path_reg -i ^/microsoft-server-(activesync|autodiscover)
                acl api path_beg /api2
                acl inside path_beg /owa/auth
                use_backend be_web if web
                use_backend be_sync if sync
                use_backend be_api if api
                use_backend be_web if inside
                default_backend be_rest
            backend be_web
                server web1 10.0.0.1:443 ssl verify none
            backend be_sync
                server sync1 10.0.0.2:443 ssl verify none
            backend be_api
                server api1 10.0.0.3:8443 ssl verify none
            backend be_rest
                server rest1 10.0.0.4:443 ssl verify none
            """);

        var services = Section(result)["Services"]!;
        string Servers(string service) => services[service]!["Servers"]!.ToJsonString();
        Assert.Equal("""["web1"]""", Servers("owa"));
        Assert.Equal("""["web1"]""", Servers("ecp"));
        Assert.Equal("""["sync1"]""", Servers("activesync"));
        Assert.Equal("""["rest1"]""", Servers("ews"));
        Assert.Equal("""["rest1"]""", Servers("autodiscover"));
        Assert.Equal("/api2", services["be_api"]!["Path"]!.GetValue<string>());
        Assert.Equal("10.0.0.3:8443", Section(result)["Servers"]!.AsArray().Single(s => s!["Name"]!.GetValue<string>() == "api1")!["Address"]!.GetValue<string>());
        Assert.Equal(ImportVerdict.Approximated, result.Report.VerdictOf(5));
        Assert.Contains("read as the virtual directories it matches: /Microsoft-Server-ActiveSync", Line(result, 5), StringComparison.Ordinal);
        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(7));
        Assert.Contains("/owa/auth is inside /owa", Line(result, 7), StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_name_routed_to_other_servers_is_not_supported_at_layer_7_and_one_routed_to_the_same_sets_the_namespace()
    {
        var result = Import(HttpFront + """
                acl contoso hdr(host) -i mail.contoso.com
                acl fabrikam hdr(host) -i mail.fabrikam.com
                use_backend be_main if contoso
                use_backend be_fabrikam if fabrikam
                default_backend be_main
            backend be_main
                server exch1 10.0.0.1:443 ssl verify none
            backend be_fabrikam
                server fab1 10.1.0.1:443 ssl verify none
            """);

        Assert.Equal("mail.contoso.com", Section(result)["Namespace"]!.GetValue<string>());
        Assert.Equal(ImportVerdict.Mapped, result.Report.VerdictOf(6));
        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(7));
        Assert.Contains("layer-4 listener with Sni", Line(result, 7), StringComparison.Ordinal);
        Assert.DoesNotContain("fab1", Section(result)["Services"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Deny_rules_with_internal_networks_become_internal_only_paths()
    {
        var result = Import(HttpFront + """
                acl internal src 10.1.2.3/8 192.168.0.0/16
                http-request deny if { path_beg -i /ecp /powershell } !internal
                http-request deny if { path_beg /owa/calendar }
                http-request deny if { src 203.0.113.0/24 }
                default_backend be
            backend be
                server exch1 10.0.0.1:443 ssl verify none
            """);

        var internalOnly = Section(result)["Protection"]!["InternalOnly"]!;
        Assert.Equal("""["10.0.0.0/8","192.168.0.0/16"]""", internalOnly["/ecp"]!.ToJsonString());
        Assert.Equal("""["10.0.0.0/8","192.168.0.0/16"]""", internalOnly["/PowerShell"]!.ToJsonString());
        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(6));
        Assert.Contains("/owa/calendar is inside /owa", Line(result, 6), StringComparison.Ordinal);
        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(7));
        Assert.Contains("no deny-list", Line(result, 7), StringComparison.Ordinal);
    }

    [Fact]
    public void Tcp_reject_rules_become_allowed_clients_and_sni_rules_become_pools()
    {
        var result = Import("""
            defaults
                mode tcp
            frontend fe
                bind :443
                tcp-request connection reject if !{ src 10.0.0.0/8 }
                use_backend be_fab if { req_ssl_sni -i mail.fabrikam.com }
                default_backend be_main
            backend be_main
                server exch1 10.0.0.1 check
            backend be_fab
                server fab1 [2001:db8::7]:4443 check
            """);

        var listeners = Section(result)["Listeners"]!;
        Assert.Equal("""["10.0.0.0/8"]""", listeners["fe"]!["AllowedClients"]!.ToJsonString());
        Assert.Equal("be_fab", listeners["fe"]!["Sni"]!["mail.fabrikam.com"]!.GetValue<string>());
        Assert.Equal(4443, listeners["be_fab"]!["Port"]!.GetValue<int>());
        Assert.Null(listeners["be_fab"]!["Listen"]);
        // No port on the server line: it inherits the listening port, as in HAProxy.
        Assert.Null(listeners["fe"]!["Port"]);
        Assert.Equal("[2001:db8::7]", Section(result)["Servers"]!.AsArray().Single(s => s!["Name"]!.GetValue<string>() == "fab1")!["Address"]!.GetValue<string>());
        Assert.All(Section(result)["Services"]!.AsObject(), s => Assert.False(s.Value!["Enabled"]!.GetValue<bool>()));
    }

    [Fact]
    public void Stats_auth_passwords_are_hashed_never_printed_and_the_operator_is_told_to_change_them()
    {
        var result = Import("""
            userlist admins
                user alice insecure-password Al1ce-Secret
                user bob password $6$rounds=5000$salt$0123456789abcdef
            listen stats
                bind 0.0.0.0:8404
                stats enable
                stats auth carol:C4rol-Secret
                acl signed_in http_auth(admins)
                stats http-request auth unless signed_in
            """);

        var users = Section(result)["Admin"]!["Users"]!.AsArray();
        Assert.Equal(["carol", "alice"], users.Select(u => u!["Name"]!.GetValue<string>()));
        Assert.True(ExchangeProxy.Admin.PasswordHash.Verify("C4rol-Secret", users[0]!["PasswordHash"]!.GetValue<string>()));
        Assert.True(ExchangeProxy.Admin.PasswordHash.Verify("Al1ce-Secret", users[1]!["PasswordHash"]!.GetValue<string>()));
        Assert.Equal("http://0.0.0.0:8404", Section(result)["Admin"]!["Url"]!.GetValue<string>());
        var report = result.Report.Format("haproxy.cfg");
        foreach (var secret in new[] { "C4rol-Secret", "Al1ce-Secret", "0123456789abcdef" })
        {
            Assert.DoesNotContain(secret, report, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, result.ToJson("haproxy.cfg"), StringComparison.Ordinal);
        }

        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(3));
        Assert.Contains("crypt(3)", Line(result, 3), StringComparison.Ordinal);
        Assert.Contains("carol (line 7), alice (line 2)", report, StringComparison.Ordinal);
        Assert.Contains("change them", report, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stats_page_on_a_public_address_without_users_stays_on_loopback()
    {
        var result = Import("listen stats\n    bind 192.168.200.103:4711\n    stats enable\n");

        Assert.Equal("http://127.0.0.1:4711", Section(result)["Admin"]!["Url"]!.GetValue<string>());
        Assert.Equal(ImportVerdict.Approximated, result.Report.VerdictOf(2));
    }

    [Fact]
    public void Timeouts_become_activity_timeouts_but_never_shorten_a_virtual_directory_below_its_own()
    {
        var result = Import("""
            defaults
                mode http
                timeout connect 4s
                timeout client 20m
                timeout server 2h
            frontend fe
                bind :443 ssl crt /etc/haproxy/mail.pem
                default_backend be
            backend be
                timeout server 10s
                server exch1 10.0.0.1:443 ssl verify none
            """);

        var services = Section(result)["Services"]!;
        Assert.Equal("00:00:04", services["owa"]!["ConnectTimeout"]!.GetValue<string>());
        Assert.Equal("00:20:00", services["owa"]!["ActivityTimeout"]!.GetValue<string>());
        Assert.Null(services["activesync"]!["ActivityTimeout"]);
        Assert.Equal(ImportVerdict.Approximated, result.Report.VerdictOf(4));
        Assert.Contains("ActivityTimeout stays 01:00:00", Line(result, 4), StringComparison.Ordinal);
        Assert.Contains("no section after it uses it", Line(result, 5), StringComparison.Ordinal);
    }

    [Fact]
    public void Backup_and_disabled_servers_are_left_out_and_said_so()
    {
        var result = Import(HttpFront + """
                default_backend be
            backend be
                server exch1 10.0.0.1:443 ssl verify none check inter 3s rise 4 fall 5 weight 20
                server exch2 10.0.0.2:443 ssl verify none check backup
                server exch3 10.0.0.3:443 ssl verify none check disabled
            """);

        Assert.Equal("""["exch1"]""", Section(result)["Services"]!["owa"]!["Servers"]!.ToJsonString());
        Assert.Equal(20, Section(result)["Servers"]![0]!["Weight"]!.GetValue<int>());
        Assert.Equal("""{"Interval":"00:00:03","Rise":4,"Fall":5}""", Section(result)["Services"]!["owa"]!["Check"]!.ToJsonString());
        Assert.Equal(ImportVerdict.NotSupported, result.Report.VerdictOf(7));
        Assert.Equal(ImportVerdict.Approximated, result.Report.VerdictOf(8));
    }

    [Fact]
    public void Servers_without_check_are_not_probed_and_ssl_verify_none_accepts_their_certificates()
    {
        var result = Import(HttpFront + """
                default_backend be
            backend be
                server exch1 exch1.contoso.local:443 ssl verify none
            """);

        var owa = Section(result)["Services"]!["owa"]!;
        Assert.Equal("None", owa["Check"]!["Type"]!.GetValue<string>());
        Assert.True(owa["AcceptAnyServerCertificate"]!.GetValue<bool>());
        Assert.Equal("exch1.contoso.local", Section(result)["Servers"]![0]!["Address"]!.GetValue<string>());
    }

    [Fact]
    public void Accept_proxy_without_a_source_rule_trusts_any_sender_and_says_so()
    {
        var result = Import("""
            frontend fe
                mode tcp
                bind :25 accept-proxy
                default_backend be
            backend be
                mode tcp
                server relay1 10.0.2.1:25 check send-proxy
            """);

        var listener = Section(result)["Listeners"]!["fe"]!;
        Assert.True(listener["AcceptProxy"]!.GetValue<bool>());
        Assert.Equal("""["0.0.0.0/0","::/0"]""", listener["AcceptProxyFrom"]!.ToJsonString());
        Assert.Equal("V1", listener["SendProxy"]!.GetValue<string>());
        Assert.Equal("Tcp", listener["Check"]!["Type"]!.GetValue<string>());
        Assert.Equal(ImportVerdict.Approximated, result.Report.VerdictOf(3));
        Assert.Contains("anyone reaching it can claim any client address", result.Report.Format("haproxy.cfg"), StringComparison.Ordinal);
    }

    [Fact]
    public void Any_line_cut_short_converts_or_is_an_error_naming_it_never_an_exception()
    {
        foreach (var file in CorpusRun.Files)
        {
            var lines = File.ReadAllLines(Infrastructure.Repository.PathOf($"{CorpusRun.CorpusFolder}/{file}"));
            for (var i = 0; i < lines.Length; i++)
            {
                var words = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                for (var kept = 1; kept < words.Length; kept++)
                {
                    var cut = lines.ToArray();
                    cut[i] = "    " + string.Join(' ', words.Take(kept));
                    try
                    {
                        Import(string.Join('\n', cut));
                    }
                    catch (HaproxyImportException e)
                    {
                        Assert.True(e.Line == i + 1, $"{file}:{i + 1} cut to '{cut[i].Trim()}': the error names line {e.Line}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Every_line_gets_a_verdict()
    {
        var text = File.ReadAllText(Infrastructure.Repository.PathOf(CorpusRun.CorpusFolder + "/vdir-ssl-bridging.cfg"));
        var result = Import(text);
        var lines = text.Split('\n').Select((l, i) => (Text: l.Trim(), Number: i + 1)).Where(l => l.Text.Length > 0 && !l.Text.StartsWith('#'));

        Assert.All(lines, l => Assert.True(result.Report.VerdictOf(l.Number) is not null, $"line {l.Number} has no verdict"));
    }
}
