namespace ExchangeProxy.Import;

/// <summary>
/// One ACL criterion, <c>fetch [-i] [-m method] values...</c>, read as what it looks at (<see cref="Kind"/>) and how it
/// compares (<see cref="Method"/>: beg, str, reg, end, dom, dir, sub, ip).
/// </summary>
public sealed record HaproxyMatch(MatchKind Kind, string Fetch, string Method, bool IgnoreCase, IReadOnlyList<string> Values, string? File)
{
    /// <summary>HAProxy's predefined ACLs; TRUE, FALSE and LOCALHOST are read, the others have no equivalent.</summary>
    public static HaproxyMatch? PredefinedAcl(string name) => name switch
    {
        "TRUE" or "FALSE" => new HaproxyMatch(MatchKind.Constant, name, "str", false, [name], null),
        "LOCALHOST" => new HaproxyMatch(MatchKind.Source, "src", "ip", false, ["127.0.0.0/8", "::1"], null),
        "HTTP" or "HTTP_1.0" or "HTTP_1.1" or "HTTP_2.0" or "HTTP_CONTENT" or "HTTP_URL_ABS" or "HTTP_URL_SLASH" or "HTTP_URL_STAR"
            or "METH_CONNECT" or "METH_DELETE" or "METH_GET" or "METH_HEAD" or "METH_OPTIONS" or "METH_POST" or "METH_PUT"
            or "METH_TRACE" or "RDP_COOKIE" or "REQ_CONTENT" or "WAIT_END" => new HaproxyMatch(MatchKind.Other, name, "str", false, [], null),
        _ => null,
    };

    /// <param name="words">The criterion, from its fetch on.</param>
    public static HaproxyMatch Parse(IReadOnlyList<string> words, HaproxyLine line)
    {
        if (words.Count == 0)
        {
            throw new HaproxyImportException(line.Number, "an ACL needs a criterion (e.g. path_beg /owa)");
        }

        var fetch = words[0];
        var ignoreCase = false;
        string? method = null;
        string? file = null;
        var i = 1;
        for (; i < words.Count && words[i].StartsWith('-'); i++)
        {
            switch (words[i])
            {
                case "-i":
                    ignoreCase = true;
                    break;
                case "-m" when i + 1 < words.Count:
                    method = words[++i];
                    break;
                case "-f" when i + 1 < words.Count:
                    file = words[++i];
                    break;
                case "-u" or "-M" when i + 1 < words.Count:
                    i += words[i] == "-u" ? 1 : 0;
                    break;
                case "--":
                    i++;
                    goto done;
                case "-n":
                    break;
                default:
                    // A value that starts with '-' (a negative number) ends the flags.
                    goto done;
            }
        }

    done:
        var values = words.Skip(i).ToList();
        var (kind, defaultMethod) = Classify(fetch.ToLowerInvariant());
        return new HaproxyMatch(kind, fetch, method ?? defaultMethod, ignoreCase, values, file);
    }

    private static (MatchKind Kind, string Method) Classify(string fetch)
    {
        // Converters (",lower") change nothing the proxy cares about: paths and host names compare case-insensitively there.
        var comma = fetch.IndexOf(',', StringComparison.Ordinal);
        if (comma > 0)
        {
            fetch = fetch[..comma];
        }

        if (fetch is "src" or "src_ip")
        {
            return (MatchKind.Source, "ip");
        }

        if (fetch is "req_ssl_sni" or "req.ssl_sni" or "ssl_fc_sni" or "req.ssl_sni()")
        {
            return (MatchKind.Sni, "str");
        }

        if (fetch is "req_ssl_hello_type" or "req.ssl_hello_type")
        {
            return (MatchKind.TlsHello, "int");
        }

        foreach (var prefix in new[] { "path", "url", "base" })
        {
            if (fetch == prefix)
            {
                return (MatchKind.Path, "str");
            }

            if (fetch.StartsWith(prefix + "_", StringComparison.Ordinal))
            {
                var method = fetch[(prefix.Length + 1)..];
                return method is "beg" or "reg" or "dir" or "end" or "sub" or "len" or "dom" ? (MatchKind.Path, method) : (MatchKind.Other, "str");
            }
        }

        foreach (var prefix in new[] { "hdr", "req.hdr", "req.fhdr", "hdr_ip" })
        {
            if (fetch == prefix + "(host)")
            {
                return (MatchKind.Host, "str");
            }
        }

        if (fetch.StartsWith("hdr_", StringComparison.Ordinal) && fetch.EndsWith("(host)", StringComparison.Ordinal))
        {
            var method = fetch[4..^6];
            return method is "beg" or "reg" or "dir" or "end" or "sub" or "dom" ? (MatchKind.Host, method) : (MatchKind.Other, "str");
        }

        return (MatchKind.Other, "str");
    }
}
