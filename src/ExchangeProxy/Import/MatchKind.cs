namespace ExchangeProxy.Import;

/// <summary>What an ACL criterion looks at, among the things the proxy can act on.</summary>
public enum MatchKind
{
    /// <summary>The request path (path, path_beg, path_reg, url_beg...).</summary>
    Path,

    /// <summary>The Host header (hdr(host), hdr_dom(host), req.hdr(host)...).</summary>
    Host,

    /// <summary>The TLS server name of a ClientHello read without terminating TLS (req_ssl_sni, ssl_fc_sni).</summary>
    Sni,

    /// <summary>The client's address (src).</summary>
    Source,

    /// <summary>A TLS ClientHello is there (req_ssl_hello_type 1): what reading the server name waits for.</summary>
    TlsHello,

    /// <summary>Always true or always false (TRUE, FALSE).</summary>
    Constant,

    /// <summary>Anything else; the proxy has no equivalent.</summary>
    Other,
}
