using ExchangeProxy.Import;

namespace ExchangeProxy.Tests.Import;

/// <summary>HAProxy's grammar as the importer reads it: words, quotes, escapes, comments, sections, durations, addresses.</summary>
public sealed class HaproxyParserTests
{
    private static readonly HaproxyLine Line7 = new(7, ["test"]);

    [Theory]
    [InlineData("server s1 10.0.0.1:443 check", new[] { "server", "s1", "10.0.0.1:443", "check" })]
    [InlineData("  \tbalance   roundrobin  # the default", new[] { "balance", "roundrobin" })]
    [InlineData("option httpchk GET /owa/healthcheck.htm HTTP/1.1\\r\\nHost:\\ mail", new[] { "option", "httpchk", "GET", "/owa/healthcheck.htm", "HTTP/1.1\r\nHost: mail" })]
    [InlineData("stats auth \"admin:pa ss#word\"", new[] { "stats", "auth", "admin:pa ss#word" })]
    [InlineData("stats auth 'admin:$ecret\\'", new[] { "stats", "auth", "admin:$ecret\\" })]
    [InlineData("acl a path_beg \\#x \\x41", new[] { "acl", "a", "path_beg", "#x", "A" })]
    [InlineData("   # only a comment", new string[0])]
    public void Words_are_split_as_haproxy_splits_them(string text, string[] words)
    {
        Assert.Equal(words, HaproxyTokenizer.Split(text, 1));
    }

    [Theory]
    [InlineData("stats auth \"admin:secret", "unterminated double quote")]
    [InlineData("stats auth 'admin:secret", "unterminated single quote")]
    [InlineData("timeout connect 5s \\", "HAProxy has no line continuation")]
    [InlineData("server s1 \"${EXCH1}\":443", "environment variable")]
    [InlineData("acl a path_beg \\xZZ", "two hexadecimal digits")]
    public void Malformed_words_are_errors_naming_the_line(string text, string message)
    {
        var error = Assert.Throws<HaproxyImportException>(() => HaproxyTokenizer.Split(text, 12));
        Assert.Equal(12, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sections_hold_their_lines_with_their_numbers()
    {
        var sections = HaproxyConfigFile.Parse("# header\nglobal\n    maxconn 100\n\ndefaults\n    mode http\nfrontend fe\n    bind :443\nuserlist admins\n    user a insecure-password b\n");

        Assert.Equal(["global", "defaults", "frontend", "userlist"], sections.Select(s => s.Kind));
        Assert.Equal(3, sections[0].Lines.Single().Number);
        Assert.Equal("fe", sections[2].Name);
        Assert.Equal(8, sections[2].Lines.Single().Number);
    }

    [Theory]
    [InlineData("maxconn 100\nglobal\n", 1, "outside any section")]
    [InlineData("global\nbackend\n", 2, "needs a name")]
    public void A_file_that_is_not_haproxy_is_an_error_naming_the_line(string text, int line, string message)
    {
        var error = Assert.Throws<HaproxyImportException>(() => HaproxyConfigFile.Parse(text));
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("250", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("250ms", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1500us", 1500 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("10s", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("5m", 5 * TimeSpan.TicksPerMinute)]
    [InlineData("2h", 2 * TimeSpan.TicksPerHour)]
    [InlineData("1d", TimeSpan.TicksPerDay)]
    public void Durations_take_haproxy_units_and_a_bare_number_is_milliseconds(string text, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), HaproxyDuration.Parse(text, Line7));
    }

    [Theory]
    [InlineData("10 s")]
    [InlineData("10sec")]
    [InlineData("1w")]
    [InlineData("-5s")]
    [InlineData("s")]
    [InlineData("30d")]
    public void Bad_durations_are_errors_naming_the_line(string text)
    {
        Assert.Equal(7, Assert.Throws<HaproxyImportException>(() => HaproxyDuration.Parse(text, Line7)).Line);
    }

    [Theory]
    [InlineData("00:00:10", 10 * TimeSpan.TicksPerSecond)]
    [InlineData("01:00:00", TimeSpan.TicksPerHour)]
    [InlineData("1.00:00:00", TimeSpan.TicksPerDay)]
    [InlineData("00:00:00.2500000", 250 * TimeSpan.TicksPerMillisecond)]
    public void Durations_are_written_as_the_configuration_reads_them(string text, long ticks)
    {
        Assert.Equal(text, HaproxyDuration.Format(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData("10.0.0.1:443", "10.0.0.1", 443)]
    [InlineData("10.0.0.1", "10.0.0.1", null)]
    [InlineData("[2001:db8::1]:443", "2001:db8::1", 443)]
    [InlineData("ipv6@2001:db8::1:443", "2001:db8::1", 443)]
    [InlineData("ipv4@10.0.0.1:25", "10.0.0.1", 25)]
    [InlineData("exch1.contoso.local:443", "exch1.contoso.local", 443)]
    [InlineData("exch1", "exch1", null)]
    public void Server_addresses_are_ipv4_ipv6_or_host_names_with_an_optional_port(string text, string host, int? port)
    {
        var endpoint = HaproxyEndpoint.ParseServer(text, Line7, out var unsupported);

        Assert.Null(unsupported);
        Assert.Equal(new HaproxyEndpoint(host, port), endpoint);
    }

    [Theory]
    [InlineData("10.0.0.1:65536", "not a port")]
    [InlineData("10.0.0.1:0", "not a port")]
    [InlineData("10.0.0.1:https", "not a port")]
    [InlineData("[2001:db8::1:443", "not an address")]
    [InlineData("exch_1!:443", "not an IP address or a host name")]
    [InlineData(":443", "needs an address")]
    public void Bad_server_addresses_are_errors_naming_the_line(string text, string message)
    {
        var error = Assert.Throws<HaproxyImportException>(() => HaproxyEndpoint.ParseServer(text, Line7, out _));
        Assert.Equal(7, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/var/run/exchange.sock")]
    [InlineData("unix@/var/run/exchange.sock")]
    [InlineData("10.0.0.1:+1")]
    public void Addresses_without_a_tcp_equivalent_are_reported_not_thrown(string text)
    {
        Assert.Null(HaproxyEndpoint.ParseServer(text, Line7, out var unsupported));
        Assert.NotNull(unsupported);
    }

    [Theory]
    [InlineData(":443", "0.0.0.0:443")]
    [InlineData("*:443", "0.0.0.0:443")]
    [InlineData("192.168.200.103:443", "192.168.200.103:443")]
    [InlineData("[::]:443", "[::]:443")]
    [InlineData("ipv6@:443", "[::]:443")]
    [InlineData(":25,:587", "0.0.0.0:25 0.0.0.0:587")]
    public void Bind_addresses_default_to_every_address(string text, string endpoints)
    {
        Assert.Equal(endpoints, string.Join(' ', HaproxyEndpoint.ParseBind(text, Line7, out _)));
    }

    [Fact]
    public void A_bind_without_a_port_is_an_error()
    {
        Assert.Equal(7, Assert.Throws<HaproxyImportException>(() => HaproxyEndpoint.ParseBind("10.0.0.1", Line7, out _)).Line);
    }

    [Fact]
    public void Passwords_are_masked_when_a_line_is_shown()
    {
        Assert.Equal("stats auth admin:****", new HaproxyLine(1, ["stats", "auth", "admin:Secret1"]).Display);
        Assert.Equal("user bob insecure-password **** groups ops", new HaproxyLine(1, ["user", "bob", "insecure-password", "hunter2", "groups", "ops"]).Display);
        Assert.Equal("user bob password ****", new HaproxyLine(1, ["user", "bob", "password", "$6$salt$hash"]).Display);
    }

    [Theory]
    [InlineData("10.1.2.3/8", "10.0.0.0/8")]
    [InlineData("192.168.0.0/255.255.0.0", "192.168.0.0/16")]
    [InlineData("10.0.0.5", "10.0.0.5")]
    [InlineData("10.0.0.5/32", "10.0.0.5")]
    [InlineData("2001:db8::1/32", "2001:db8::/32")]
    public void Source_networks_are_written_as_the_proxy_reads_them(string text, string network)
    {
        Assert.Equal(network, SourceNetworks.Normalize(text, Line7));
    }
}
