using System.Globalization;
using System.Net;

namespace ExchangeProxy.Import;

/// <summary>
/// An address as HAProxy writes one on <c>bind</c> and <c>server</c>: IPv4, <c>[IPv6]:port</c>, <c>ipv6@addr:port</c>
/// (the last colon separates the port), a host name, <c>*</c> or nothing for any address; the port may be missing.
/// </summary>
/// <param name="Host">An IP address or DNS name; "0.0.0.0" or "::" for any.</param>
public sealed record HaproxyEndpoint(string Host, int? Port)
{
    public bool IsIPv6 => IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    public bool IsLoopback => IPAddress.TryParse(Host, out var ip) && IPAddress.IsLoopback(ip);

    /// <summary>host:port with IPv6 in brackets, as the proxy's Listen, Address and URLs take it.</summary>
    public string HostForUrl => IsIPv6 ? $"[{Host}]" : Host;

    public override string ToString() => Port is { } port ? string.Create(CultureInfo.InvariantCulture, $"{HostForUrl}:{port}") : HostForUrl;

    /// <summary>The address of a <c>server</c> line. Null (with the reason) for what has no TCP equivalent (unix sockets).</summary>
    public static HaproxyEndpoint? ParseServer(string text, HaproxyLine line, out string? unsupported) =>
        Parse(text, line, bind: false, out unsupported);

    /// <summary>The addresses of a <c>bind</c> line (a comma-separated list); a port is required.</summary>
    public static IReadOnlyList<HaproxyEndpoint> ParseBind(string text, HaproxyLine line, out string? unsupported)
    {
        var endpoints = new List<HaproxyEndpoint>();
        unsupported = null;
        foreach (var part in text.Split(','))
        {
            var endpoint = Parse(part, line, bind: true, out unsupported);
            if (endpoint is null)
            {
                return [];
            }

            if (endpoint.Port is null)
            {
                throw new HaproxyImportException(line.Number, $"'{part}': a bind address needs a port");
            }

            endpoints.Add(endpoint);
        }

        return endpoints;
    }

    private static HaproxyEndpoint? Parse(string text, HaproxyLine line, bool bind, out string? unsupported)
    {
        unsupported = null;
        if (text.StartsWith('/') || text.StartsWith("unix@", StringComparison.Ordinal) || text.StartsWith("abns@", StringComparison.Ordinal)
            || text.StartsWith("fd@", StringComparison.Ordinal) || text.StartsWith("sockpair@", StringComparison.Ordinal)
            || text.StartsWith("quic", StringComparison.Ordinal) || text.StartsWith("udp", StringComparison.Ordinal))
        {
            unsupported = $"'{text}' is not a TCP address; the proxy listens on and connects to IP:port only";
            return null;
        }

        var v6 = false;
        if (text.StartsWith("ipv6@", StringComparison.Ordinal))
        {
            v6 = true;
            text = text[5..];
        }
        else if (text.StartsWith("ipv4@", StringComparison.Ordinal) || text.StartsWith("tcp@", StringComparison.Ordinal)
            || text.StartsWith("tcp4@", StringComparison.Ordinal) || text.StartsWith("tcp6@", StringComparison.Ordinal))
        {
            v6 = text.StartsWith("tcp6@", StringComparison.Ordinal);
            text = text[(text.IndexOf('@', StringComparison.Ordinal) + 1)..];
        }

        string host;
        string? port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < text.Length && text[close + 1] != ':'))
            {
                throw new HaproxyImportException(line.Number, $"'{text}' is not an address ([IPv6]:port)");
            }

            host = text[1..close];
            port = close + 1 < text.Length ? text[(close + 2)..] : null;
        }
        else
        {
            var colon = text.LastIndexOf(':');
            var colons = text.Count(c => c == ':');
            // A bare IPv6 address without ipv6@ has many colons and no port; HAProxy reads the last one as the port's.
            if (colon < 0)
            {
                host = text;
                port = null;
            }
            else
            {
                host = text[..colon];
                port = text[(colon + 1)..];
                v6 |= colons > 1;
            }
        }

        if (host is "" or "*")
        {
            if (!bind)
            {
                throw new HaproxyImportException(line.Number, $"'{text}': a server needs an address");
            }

            host = v6 ? "::" : "0.0.0.0";
        }

        if (IPAddress.TryParse(host, out var ip))
        {
            if (v6 && ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw new HaproxyImportException(line.Number, $"'{host}' is not an IPv6 address");
            }

            host = ip.ToString();
        }
        else if (v6 || Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            throw new HaproxyImportException(line.Number, $"'{host}' is not an IP address or a host name");
        }

        int? number = null;
        if (!string.IsNullOrEmpty(port))
        {
            if (port[0] is '+' or '-')
            {
                unsupported = $"'{text}': a port relative to the client's ({port}) has no equivalent; write the servers' port";
                return null;
            }

            if (port.Contains('-', StringComparison.Ordinal) && bind)
            {
                unsupported = $"'{text}': a port range; the proxy listens on single ports, one listener each";
                return null;
            }

            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed is < 1 or > 65535)
            {
                throw new HaproxyImportException(line.Number, $"'{port}' is not a port (1 to 65535)");
            }

            number = parsed;
        }

        return new HaproxyEndpoint(host, number);
    }
}
