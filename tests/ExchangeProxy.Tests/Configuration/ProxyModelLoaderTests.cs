using System.Text;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Tests.Configuration;

public class ProxyModelLoaderTests
{
    private const string TwoServers = """
        "Servers": [
          { "Name": "exchange1", "Address": "192.168.200.100" },
          { "Name": "exchange2", "Address": "exchange2.contoso.local:8443", "Weight": 3 }
        ]
        """;

    private static ConfigLoadResult Load(string exchangeProxySection, string extra = "")
    {
        var json = $$"""{ "ExchangeProxy": { {{exchangeProxySection}} } {{extra}} }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return ProxyModelLoader.Load(configuration);
    }

    private static ConfigError SingleError(string section, string extra = "")
    {
        var result = Load(section, extra);
        Assert.Null(result.Model);
        return Assert.Single(result.Errors);
    }

    [Fact]
    public void Two_servers_publish_every_exchange_virtual_directory_over_both()
    {
        var model = Load(TwoServers).Model!;

        Assert.Equal(["/owa", "/ecp", "/EWS", "/Microsoft-Server-ActiveSync", "/rpc", "/mapi", "/OAB", "/Autodiscover", "/PowerShell"],
            model.Services.Select(s => s.Path));
        Assert.All(model.Services, s => Assert.Equal(["exchange1", "exchange2"], s.Servers.Select(x => x.Name)));
        Assert.All(model.Services, s => Assert.Equal(BalanceMode.RoundRobin, s.Balance));
        Assert.Equal(new Uri("https://192.168.200.100/"), model.Servers[0].Address);
        Assert.Equal(new Uri("https://exchange2.contoso.local:8443/"), model.Servers[1].Address);
        Assert.Equal(3, model.Servers[1].Weight);
    }

    [Fact]
    public void Windows_auth_is_expected_where_exchange_uses_it_and_can_be_switched_per_service()
    {
        const string Services = """
            "Services": { "owa": { "WindowsAuth": true }, "ews": { "WindowsAuth": false }, "legacy": { "Path": "/legacy" } }
            """;
        var services = Load(TwoServers + ", " + Services).Model!.Services.ToDictionary(s => s.Name);

        Assert.Equal(["autodiscover", "mapi", "oab", "owa", "powershell", "rpc"],
            services.Values.Where(s => s.WindowsAuth).Select(s => s.Name).Order());
        Assert.False(services["legacy"].WindowsAuth);
    }

    [Fact]
    public void Affinity_resolves_to_stick_tables_with_the_seed_defaults_and_shared_names()
    {
        const string Services = """
            "Services": {
              "owa": { "Affinity": { "Mode": "ClientIp", "Table": "web" } },
              "ecp": { "Affinity": { "Table": "web" } },
              "ews": { "Affinity": { "IPv4Prefix": 24, "IPv6Prefix": 64, "Size": 500, "Expire": "00:05:00" } },
              "rpc": { "Affinity": { "Mode": "None" } }
            },
            "Redis": { "Configuration": "127.0.0.1:6379" }
            """;
        var model = Load(TwoServers + ", " + Services).Model!;
        var services = model.Services.ToDictionary(s => s.Name);

        Assert.Equal(new StickTableSettings("web", 20_000, TimeSpan.FromMinutes(15), 32, 128), services["owa"].Affinity);
        Assert.Equal(services["owa"].Affinity, services["ecp"].Affinity);
        Assert.Equal(new StickTableSettings("ews", 500, TimeSpan.FromMinutes(5), 24, 64), services["ews"].Affinity);
        Assert.Null(services["rpc"].Affinity);
        Assert.Null(services["mapi"].Affinity);
        Assert.Equal(new StickStoreSettings("127.0.0.1:6379", "exchangeproxy", TimeSpan.FromMilliseconds(250)), model.Redis);
    }

    [Theory]
    [InlineData("\"owa\": { \"Affinity\": { \"Size\": 0 } }", "ExchangeProxy:Services:owa:Affinity:Size", "outside 1..10000000")]
    [InlineData("\"owa\": { \"Affinity\": { \"Expire\": \"-00:01:00\" } }", "ExchangeProxy:Services:owa:Affinity:Expire", "not a positive duration")]
    [InlineData("\"owa\": { \"Affinity\": { \"IPv4Prefix\": 33 } }", "ExchangeProxy:Services:owa:Affinity:IPv4Prefix", "outside 0..32")]
    [InlineData("\"owa\": { \"Affinity\": { \"Table\": \"web table\" } }", "ExchangeProxy:Services:owa:Affinity:Table", "not a table name")]
    [InlineData("\"owa\": { \"Affinity\": { \"Mode\": \"Cookie\" } }", "ExchangeProxy:Services:owa:Affinity:Mode", "")]
    [InlineData("\"owa\": { \"Affinity\": { \"Table\": \"web\" } }, \"ecp\": { \"Affinity\": { \"Table\": \"web\", \"Size\": 10 } }",
        "ExchangeProxy:Services:ecp:Affinity", "table 'web' is also used by 'owa' with other settings")]
    public void Bad_affinity_settings_are_named_by_key(string services, string key, string message)
    {
        var error = SingleError(TwoServers + ", \"Services\": { " + services + " }");

        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_redis_configuration_string_that_does_not_parse_is_refused()
    {
        var error = SingleError(TwoServers + ", \"Redis\": { \"Configuration\": \"127.0.0.1:6379,nonsense=1\" }");

        Assert.Equal("ExchangeProxy:Redis:Configuration", error.Key);
    }

    [Fact]
    public void Every_service_is_probed_at_its_healthcheck_with_haproxys_defaults_unless_told_otherwise()
    {
        const string Services = """
            "Services": {
              "ecp": { "Check": { "Type": "TlsHello", "Interval": "00:00:05", "Rise": 1, "Fall": 5, "Timeout": "00:00:03" } },
              "legacy": { "Path": "/legacy", "Check": { "Path": "/legacy/alive.txt" } },
              "rpc": { "Check": { "Type": "None" }, "WhenAllDown": "UseAll" }
            }
            """;
        var services = Load(TwoServers + ", " + Services).Model!.Services.ToDictionary(s => s.Name);

        Assert.Equal(new CheckSettings(CheckType.Http, "/owa/healthcheck.htm", null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), 2, 3),
            services["owa"].Check);
        Assert.Equal("/Microsoft-Server-ActiveSync/healthcheck.htm", services["activesync"].Check.Path);
        Assert.Equal(new CheckSettings(CheckType.TlsHello, "/ecp/healthcheck.htm", null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3), 1, 5),
            services["ecp"].Check);
        Assert.Equal("/legacy/alive.txt", services["legacy"].Check.Path);
        Assert.Equal(CheckType.None, services["rpc"].Check.Type);
        Assert.Equal(WhenAllDown.UseAll, services["rpc"].WhenAllDown);
        Assert.Equal(WhenAllDown.Refuse, services["owa"].WhenAllDown);
    }

    [Theory]
    [InlineData("\"owa\": { \"Check\": { \"Rise\": 0 } }", "ExchangeProxy:Services:owa:Check:Rise", "outside 1..100")]
    [InlineData("\"owa\": { \"Check\": { \"Interval\": \"00:00:00\" } }", "ExchangeProxy:Services:owa:Check:Interval", "not a positive duration")]
    [InlineData("\"owa\": { \"Check\": { \"Port\": 70000 } }", "ExchangeProxy:Services:owa:Check:Port", "outside 1..65535")]
    [InlineData("\"owa\": { \"Check\": { \"Path\": \"healthcheck.htm\" } }", "ExchangeProxy:Services:owa:Check:Path", "not an absolute path")]
    [InlineData("\"owa\": { \"Check\": { \"Type\": \"Ping\" } }", "ExchangeProxy:Services:owa:Check:Type", "")]
    public void Bad_check_settings_are_named_by_key(string services, string key, string message)
    {
        var error = SingleError(TwoServers + ", \"Services\": { " + services + " }");

        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"Url\": \"http://0.0.0.0:4711\"", "ExchangeProxy:Admin:ApiKeySha256", "required when the admin listener")]
    [InlineData("\"Url\": \"https://127.0.0.1:4711\"", "ExchangeProxy:Admin:Url", "is not http://IP:port")]
    [InlineData("\"Url\": \"http://localhost:4711\"", "ExchangeProxy:Admin:Url", "is not http://IP:port")]
    [InlineData("\"ApiKeySha256\": \"secret\"", "ExchangeProxy:Admin:ApiKeySha256", "not a SHA-256 in hex")]
    public void Bad_admin_settings_are_named_by_key(string admin, string key, string message)
    {
        var error = SingleError(TwoServers + ", \"Admin\": { " + admin + " }");

        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_admin_listener_is_on_loopback_port_4711_unless_moved_or_switched_off()
    {
        Assert.Equal(new Uri("http://127.0.0.1:4711"), Load(TwoServers).Model!.Admin.Url);
        Assert.Null(Load(TwoServers + ", \"Admin\": { \"Url\": \"\" }").Model!.Admin.Url);
        var open = Load(TwoServers + ", \"Admin\": { \"Url\": \"http://0.0.0.0:4711\", \"ApiKeySha256\": \"" + new string('a', 64) + "\" }").Model!.Admin;
        Assert.Equal(32, open.ApiKeySha256!.Length);
    }

    [Fact]
    public void Listeners_resolve_with_the_seeds_timeouts_and_checks_by_port()
    {
        const string Listeners = """
            "Listeners": {
              "https": { "Listen": "0.0.0.0:443", "Sni": { "Mail2.Contoso.com": "second", "*.contoso.net": "second" } },
              "second": { "Port": 443, "Servers": [ "exchange2" ] },
              "smtp": { "Listen": "[::]:25", "SendProxy": "V2", "Balance": "SourceHash", "Affinity": { "Size": 100 } },
              "custom": { "Listen": "127.0.0.1:8025", "Port": 2525, "Retries": 0, "Redispatch": false }
            }
            """;
        var tcp = Load(TwoServers + ", " + Listeners).Model!.TcpServices.ToDictionary(t => t.Name);

        var https = tcp["https"];
        Assert.Equal(443, https.Port);
        Assert.Equal(CheckType.TlsHello, https.Check.Type);
        Assert.Equal((TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)), (https.ConnectTimeout, https.ClientTimeout, https.ServerTimeout));
        Assert.Equal((3, true, true, 10_000), (https.Retries, https.Redispatch, https.DontLogNull, https.MaxConnections));
        Assert.Equal("second", https.PoolFor("MAIL2.contoso.com"));
        Assert.Equal("second", https.PoolFor("mail.contoso.net"));
        Assert.Equal("https", https.PoolFor("mail.contoso.com"));
        Assert.Equal("https", https.PoolFor(null));
        Assert.Null(tcp["second"].Listen);
        Assert.Equal(["exchange2"], tcp["second"].Servers.Select(s => s.Name));
        Assert.Equal(CheckType.Smtp, tcp["smtp"].Check.Type);
        Assert.Equal(ProxyProtocolVersion.V2, tcp["smtp"].SendProxy);
        Assert.Equal(BalanceMode.SourceHash, tcp["smtp"].Balance);
        Assert.Equal(100, tcp["smtp"].Affinity!.Size);
        Assert.Equal(CheckType.Tcp, tcp["custom"].Check.Type);
        Assert.Equal((2525, 0, false), (tcp["custom"].Port, tcp["custom"].Retries, tcp["custom"].Redispatch));
    }

    [Theory]
    [InlineData("\"smtp\": { \"Listen\": \"mail:25\" }", "ExchangeProxy:Listeners:smtp:Listen", "is not IP:port")]
    [InlineData("\"pool\": { }", "ExchangeProxy:Listeners:pool:Port", "required for a pool without Listen")]
    [InlineData("\"smtp\": { \"Listen\": \"0.0.0.0:25\", \"Servers\": [ \"exchange9\" ] }", "ExchangeProxy:Listeners:smtp:Servers:0", "unknown server")]
    [InlineData("\"smtp\": { \"Listen\": \"0.0.0.0:25\", \"Servers\": [ \"exchange1\", \"EXCHANGE1\" ] }", "ExchangeProxy:Listeners:smtp:Servers:1", "server 'exchange1' is listed twice")]
    [InlineData("\"https\": { \"Listen\": \"0.0.0.0:443\", \"Sni\": { \"mail2.contoso.com\": \"nowhere\" } }", "ExchangeProxy:Listeners:https:Sni:mail2.contoso.com", "not a listener or pool")]
    [InlineData("\"owa\": { \"Listen\": \"0.0.0.0:443\" }", "ExchangeProxy:Listeners:owa", "also a service name")]
    [InlineData("\"a\": { \"Listen\": \"0.0.0.0:25\" }, \"b\": { \"Listen\": \"0.0.0.0:25\" }", "ExchangeProxy:Listeners:b:Listen", "already the address of listener 'a'")]
    [InlineData("\"smtp\": { \"Listen\": \"0.0.0.0:25\", \"MaxConnections\": 0 }", "ExchangeProxy:Listeners:smtp:MaxConnections", "not a positive number")]
    public void Bad_listener_settings_are_named_by_key(string listeners, string key, string message)
    {
        var error = SingleError(TwoServers + ", \"Listeners\": { " + listeners + " }");

        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_redirects_are_off_unless_set_and_send_clients_to_port_443_unless_told()
    {
        var off = Load(TwoServers).Model!;
        Assert.Null(off.HttpRedirect);
        Assert.Null(off.RootRedirect);
        Assert.Null(Load(TwoServers + ", \"RootRedirect\": \"\"").Model!.RootRedirect);

        var on = Load(TwoServers + ", \"HttpRedirect\": { \"Listen\": \"[::]:80\" }, \"RootRedirect\": \"/owa/\"").Model!;
        Assert.Equal(new HttpRedirectSettings(System.Net.IPEndPoint.Parse("[::]:80"), 443), on.HttpRedirect);
        Assert.Equal("/owa/", on.RootRedirect);
        Assert.Equal(8443, Load(TwoServers + ", \"HttpRedirect\": { \"Listen\": \"0.0.0.0:8080\", \"HttpsPort\": 8443 }").Model!.HttpRedirect!.HttpsPort);
    }

    [Theory]
    [InlineData("\"HttpRedirect\": { \"Listen\": \"80\" }", "ExchangeProxy:HttpRedirect:Listen", "is not IP:port")]
    [InlineData("\"HttpRedirect\": { \"HttpsPort\": 443 }", "ExchangeProxy:HttpRedirect:Listen", "is not IP:port")]
    [InlineData("\"HttpRedirect\": { \"Listen\": \"127.0.0.1:4711\" }", "ExchangeProxy:HttpRedirect:Listen", "already the admin listener's address")]
    [InlineData("\"HttpRedirect\": { \"Listen\": \"0.0.0.0:25\" }, \"Listeners\": { \"smtp\": { \"Listen\": \"0.0.0.0:25\" } }", "ExchangeProxy:HttpRedirect:Listen", "already the address of listener 'smtp'")]
    [InlineData("\"HttpRedirect\": { \"Listen\": \"0.0.0.0:80\", \"HttpsPort\": 0 }", "ExchangeProxy:HttpRedirect:HttpsPort", "outside")]
    [InlineData("\"HttpRedirect\": { \"Listen\": \"0.0.0.0:80\", \"Host\": \"evil.example\" }", "ExchangeProxy:HttpRedirect:Host", "unknown key")]
    [InlineData("\"RootRedirect\": \"//evil.example/owa/\"", "ExchangeProxy:RootRedirect", "not a path on this host")]
    [InlineData("\"RootRedirect\": \"/\\\\evil.example/\"", "ExchangeProxy:RootRedirect", "not a path on this host")]
    [InlineData("\"RootRedirect\": \"https://evil.example/\"", "ExchangeProxy:RootRedirect", "not a path on this host")]
    [InlineData("\"RootRedirect\": \"owa\"", "ExchangeProxy:RootRedirect", "not a path on this host")]
    [InlineData("\"RootRedirect\": \"/owa/\\r\\nSet-Cookie: a=b\"", "ExchangeProxy:RootRedirect", "not a path on this host")]
    public void Bad_redirect_settings_are_named_by_key(string settings, string key, string message)
    {
        var error = SingleError(TwoServers + ", " + settings);

        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_exploit_rules_are_on_by_default_and_can_be_switched_off_or_added_to()
    {
        Assert.Equal(["ProxyNotShell", "ProxyShell", "ProxyLogonAnonResource", "ProxyLogonBEResource"],
            Load(TwoServers).Model!.Protection.Rules.Select(r => r.Name));
        const string Protection = """
            "Protection": { "Action": "Abort",
              "Rules": { "ProxyShell": { "Enabled": false }, "scanners": { "Target": "Header:User-Agent", "Pattern": "sqlmap" } },
              "InternalOnly": { "/ecp": [ "10.0.0.0/8", "192.168.1.7" ] } }
            """;
        var protection = Load(TwoServers + ", " + Protection).Model!.Protection;
        Assert.Equal(["ProxyNotShell", "ProxyLogonAnonResource", "ProxyLogonBEResource", "scanners"], protection.Rules.Select(r => r.Name));
        Assert.All(protection.Rules, r => Assert.Equal(RuleAction.Abort, r.Action));
        Assert.Equal(2, protection.InternalOnly["/ecp"].Count);
    }

    [Theory]
    [InlineData("\"Rules\": { \"x\": { \"Target\": \"Body\", \"Pattern\": \"a\" } }", "ExchangeProxy:Protection:Rules:x:Target", "is not Uri, Path, Query, Cookie or Header:Name")]
    [InlineData("\"Rules\": { \"x\": { \"Target\": \"Path\", \"Pattern\": \"(unclosed\" } }", "ExchangeProxy:Protection:Rules:x:Pattern", "is not a regular expression")]
    [InlineData("\"InternalOnly\": { \"/ecp\": [ \"intranet\" ] }", "ExchangeProxy:Protection:InternalOnly:/ecp:0", "is not an IP address or CIDR network")]
    public void Bad_protection_settings_are_named_by_key(string protection, string key, string message)
    {
        var error = SingleError(TwoServers + ", \"Protection\": { " + protection + " }");

        Assert.Equal(key, error.Key);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_lived_services_have_no_body_limit_and_long_timeouts()
    {
        var services = Load(TwoServers).Model!.Services.ToDictionary(s => s.Name);

        foreach (var name in new[] { "rpc", "mapi", "ews", "activesync" })
        {
            Assert.Null(services[name].MaxRequestBodySize);
            Assert.True(services[name].ActivityTimeout >= TimeSpan.FromMinutes(30), name);
        }

        Assert.True(services["activesync"].ActivityTimeout > TimeSpan.FromSeconds(3540), "ActiveSync Ping lasts up to 3,540 s");
        Assert.Equal(30 * 1024 * 1024, services["autodiscover"].MaxRequestBodySize);
    }

    [Fact]
    public void A_service_can_be_switched_off_narrowed_and_tuned()
    {
        var model = Load(TwoServers + """
            , "Services": {
              "powershell": { "Enabled": false },
              "OWA": { "Servers": [ "exchange2" ], "Balance": "leastconn", "ActivityTimeout": "00:02:00", "MaxRequestBodySize": 1000 },
              "api": { "Path": "/API" }
            }
            """).Model!;

        Assert.DoesNotContain(model.Services, s => s.Name == "powershell");
        var owa = model.Services.Single(s => s.Name == "owa");
        Assert.Equal(["exchange2"], owa.Servers.Select(s => s.Name));
        Assert.Equal(BalanceMode.LeastConn, owa.Balance);
        Assert.Equal(TimeSpan.FromMinutes(2), owa.ActivityTimeout);
        Assert.Equal(1000, owa.MaxRequestBodySize);
        Assert.Equal("/API", model.Services.Single(s => s.Name == "api").Path);
    }

    [Theory]
    [InlineData("""{ "owa": { "Servers": [ "exchange3" ] } }""", "ExchangeProxy:Services:owa:Servers:0", "unknown server 'exchange3'")]
    [InlineData("""{ "owa": { "Servers": [ "exchange1", "EXCHANGE1" ] } }""", "ExchangeProxy:Services:owa:Servers:1", "server 'exchange1' is listed twice")]
    [InlineData("""{ "ews": { "ActivityTimeout": "-00:00:05" } }""", "ExchangeProxy:Services:ews:ActivityTimeout", "not a positive duration")]
    [InlineData("""{ "rpc": { "ConnectTimeout": "00:00:00" } }""", "ExchangeProxy:Services:rpc:ConnectTimeout", "not a positive duration")]
    [InlineData("""{ "rpc": { "ActivityTimeout": "30.00:00:00" } }""", "ExchangeProxy:Services:rpc:ActivityTimeout", "longer than the longest duration")]
    [InlineData("""{ "owa": { "Check": { "Interval": "60.00:00:00" } } }""", "ExchangeProxy:Services:owa:Check:Interval", "longer than the longest duration")]
    [InlineData("""{ "owa": { "MaxRequestBodySize": -1 } }""", "ExchangeProxy:Services:owa:MaxRequestBodySize", "negative")]
    [InlineData("""{ "api": { "Enabled": true } }""", "ExchangeProxy:Services:api:Path", "required")]
    [InlineData("""{ "ecp": { "Path": "/owa" } }""", "ExchangeProxy:Services:ecp:Path", "already the path of service 'owa'")]
    [InlineData("""{ "owa": { "Path": "owa" } }""", "ExchangeProxy:Services:owa:Path", "not a path prefix")]
    public void A_bad_service_setting_is_named_by_its_key(string services, string key, string problem)
    {
        var error = SingleError(TwoServers + $", \"Services\": {services}");

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Name": "exchange1", "Address": "10.0.0.1" }""", "ExchangeProxy:Servers:2:Name", "duplicate server name")]
    [InlineData("""{ "Name": "exchange3", "Address": "not an address" }""", "ExchangeProxy:Servers:2:Address", "is not a host name")]
    [InlineData("""{ "Name": "exchange3", "Address": "ftp://10.0.0.1" }""", "ExchangeProxy:Servers:2:Address", "is not a host name")]
    [InlineData("""{ "Name": "exchange3", "Address": "https://10.0.0.1/owa" }""", "ExchangeProxy:Servers:2:Address", "is not a host name")]
    [InlineData("""{ "Name": "exchange3", "Address": "10.0.0.1:99999" }""", "ExchangeProxy:Servers:2:Address", "is not a host name")]
    [InlineData("""{ "Name": "exchange 3", "Address": "10.0.0.3" }""", "ExchangeProxy:Servers:2:Name", "is not a server name")]
    [InlineData("""{ "Name": "exchange3", "Address": "10.0.0.3", "Weight": 300 }""", "ExchangeProxy:Servers:2:Weight", "outside 0..256")]
    public void A_bad_server_is_named_by_its_key(string third, string key, string problem)
    {
        var servers = TwoServers.Replace("\n]", $",\n{third}\n]", StringComparison.Ordinal);
        var error = SingleError(servers);

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_of_the_wrong_type_names_its_key()
    {
        var error = SingleError("""
            "Servers": [ { "Name": "exchange1", "Address": "10.0.0.1", "Weight": "heavy" } ]
            """);

        Assert.Equal("ExchangeProxy:Servers:0:Weight", error.Key);
        Assert.Contains("'heavy' is not a valid whole number", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"Balance\": \"fastest\"", "ExchangeProxy:Services:owa:Balance", "RoundRobin, LeastConn")]
    [InlineData("\"ActivityTimeout\": \"soon\"", "ExchangeProxy:Services:owa:ActivityTimeout", "duration")]
    [InlineData("\"Enabled\": \"maybe\"", "ExchangeProxy:Services:owa:Enabled", "boolean")]
    public void A_service_value_that_does_not_convert_names_its_key(string setting, string key, string problem)
    {
        var error = SingleError(TwoServers + $", \"Services\": {{ \"owa\": {{ {setting} }} }}");

        Assert.Equal(key, error.Key);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_key_is_refused_rather_than_ignored()
    {
        var error = SingleError(TwoServers + """, "Services": { "owa": { "ActivityTimout": "00:01:00" } }""");

        Assert.Equal("ExchangeProxy:Services:owa:ActivityTimout", error.Key);
        Assert.Contains("ActivityTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_servers_is_refused_with_a_hint()
    {
        var error = SingleError("\"Servers\": []");

        Assert.Equal("ExchangeProxy:Servers", error.Key);
        Assert.Contains("--demo", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_that_routes_nothing_is_refused()
    {
        var allOff = string.Join(", ", ExchangeVirtualDirectories.All.Select(v => $"\"{v.Name}\": {{ \"Enabled\": false }}"));

        var error = SingleError(TwoServers + $", \"Services\": {{ {allOff} }}");
        Assert.Equal("ExchangeProxy:Services", error.Key);

        var withCustomRoute = Load(TwoServers + $", \"Services\": {{ {allOff} }}",
            """, "ReverseProxy": { "Routes": { "own": { "ClusterId": "c", "Match": { "Path": "/x" } } } }""");
        Assert.NotNull(withCustomRoute.Model);
    }

    [Fact]
    public void Trusted_proxies_take_networks_and_single_addresses_and_refuse_garbage()
    {
        var model = Load(TwoServers + """, "TrustedProxies": [ "10.0.0.0/8", "2001:db8::/32", "192.0.2.7" ]""").Model!;
        Assert.Equal(3, model.TrustedProxies.Count);
        Assert.True(model.TrustedProxies[2].Contains(System.Net.IPAddress.Parse("192.0.2.7")));

        var error = SingleError(TwoServers + """, "TrustedProxies": [ "10.0.0.0/8", "10.0.0.0/40" ]""");
        Assert.Equal("ExchangeProxy:TrustedProxies:1", error.Key);
    }
}
