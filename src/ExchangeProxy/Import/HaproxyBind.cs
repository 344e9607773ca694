namespace ExchangeProxy.Import;

/// <summary>A <c>bind</c> line (or the address on a <c>listen</c> line): where to listen, with TLS and PROXY protocol options.</summary>
/// <param name="Certificates">The <c>crt</c> files or directories, as written.</param>
/// <param name="MinimumTls">From <c>ssl-min-ver</c>: "TLSv1.2" or "TLSv1.3".</param>
public sealed record HaproxyBind(
    IReadOnlyList<HaproxyEndpoint> Endpoints, HaproxyLine Line, bool Ssl, IReadOnlyList<string> Certificates, bool AcceptProxy, string? MinimumTls)
{
    private static readonly HashSet<string> Valued =
        ["crt-list", "ca-file", "alpn", "npn", "ciphers", "ciphersuites", "curves", "ecdhe", "verify", "crl-file", "name", "id",
         "process", "maxconn", "backlog", "mss", "interface", "namespace", "tcp-ut", "level", "mode", "user", "group", "uid",
         "gid", "nice", "severity-output", "thread", "ca-sign-file", "ca-sign-pass", "sigalgs", "client-sigalgs", "ssl-max-ver",
         "ca-verify-file", "ca-ignore-err", "crt-ignore-err", "expose-fd", "proto", "shards", "label", "guid-prefix", "idle-ping"];

    /// <param name="address">The address words' first word (a comma-separated list).</param>
    /// <param name="options">The words after it.</param>
    public static HaproxyBind? Parse(string address, IReadOnlyList<string> options, HaproxyLine line, LineNotes notes)
    {
        var endpoints = HaproxyEndpoint.ParseBind(address, line, out var unsupported);
        if (unsupported is not null)
        {
            notes.Add(ImportVerdict.NotSupported, unsupported);
            return null;
        }

        var ssl = false;
        var acceptProxy = false;
        string? minimum = null;
        var certificates = new List<string>();
        for (var i = 0; i < options.Count; i++)
        {
            var word = options[i];
            string Value() => ++i < options.Count ? options[i] : throw new HaproxyImportException(line.Number, $"'{word}' expects a value");
            switch (word)
            {
                case "ssl":
                    ssl = true;
                    break;
                case "crt":
                    certificates.Add(Value());
                    break;
                case "accept-proxy":
                    acceptProxy = true;
                    break;
                case "ssl-min-ver":
                    minimum = Value();
                    if (minimum is not ("TLSv1.2" or "TLSv1.3"))
                    {
                        notes.Add(ImportVerdict.Approximated, $"ssl-min-ver {minimum}: TLS 1.2 and 1.3 are offered, as the system allows");
                        minimum = null;
                    }

                    break;
                case "alpn" or "npn":
                    Value();
                    notes.Add(ImportVerdict.Mapped, $"{word}: HTTP/1.1 and HTTP/2 are offered by ALPN");
                    break;
                case "crt-list":
                    Value();
                    notes.Add(ImportVerdict.NotSupported, "crt-list: one certificate per listener here (Kestrel's Sni section can hold more); list the namespace certificate with crt");
                    break;
                case "verify" or "ca-file" or "crl-file" or "ca-verify-file":
                    Value();
                    notes.Add(ImportVerdict.NotSupported, $"{word}: no client certificates are asked for; Exchange authenticates the users");
                    break;
                case "maxconn":
                    Value();
                    notes.Add(ImportVerdict.Approximated, "maxconn per bind: one limit per listener (layer 4) or MaxConnections over all");
                    break;
                case "transparent" or "interface" or "namespace":
                    i += word == "transparent" ? 0 : 1;
                    notes.Add(ImportVerdict.NotSupported, $"{word}: the proxy listens on the addresses of its own host");
                    break;
                case "strict-sni":
                    notes.Add(ImportVerdict.Approximated, "strict-sni: a client naming another host gets the listener's certificate");
                    break;
                case "v4v6" or "v6only" or "defer-accept" or "tfo" or "prefer-client-ciphers" or "no-sslv3" or "no-tlsv10" or "no-tlsv11"
                    or "no-tlsv12" or "no-tlsv13" or "force-tlsv12" or "force-tlsv13" or "force-tlsv10" or "force-tlsv11" or "force-sslv3"
                    or "no-tls-tickets" or "allow-0rtt" or "no-ca-names" or "generate-certificates" or "quic-force-retry" or "no-alpn":
                    notes.Add(ImportVerdict.Approximated, $"{word}: TLS and sockets follow Kestrel's and the system's defaults");
                    break;
                default:
                    if (Valued.Contains(word))
                    {
                        Value();
                        notes.Add(ImportVerdict.Approximated, $"{word}: TLS and sockets follow Kestrel's and the system's defaults");
                    }
                    else
                    {
                        notes.Add(ImportVerdict.NotSupported, $"'{word}' is not a bind option the importer knows");
                    }

                    break;
            }
        }

        if (certificates.Count > 0 && !ssl)
        {
            notes.Add(ImportVerdict.Approximated, "crt without ssl: HAProxy would not use it; read as ssl");
            ssl = true;
        }

        if (ssl && certificates.Count == 0)
        {
            throw new HaproxyImportException(line.Number, "'ssl' needs a certificate ('crt /path/to/file.pem')");
        }

        return new HaproxyBind(endpoints, line, ssl, certificates, acceptProxy, minimum);
    }
}
