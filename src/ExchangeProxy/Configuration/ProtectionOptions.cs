namespace ExchangeProxy.Configuration;

/// <summary>Exchange-aware protection at the edge: exploit shapes refused before forwarding, internal-only paths.</summary>
public sealed class ProtectionOptions
{
    /// <summary>
    /// Rules by name. The built-in ones (ProxyNotShell, ProxyShell, ProxyLogonAnonResource, ProxyLogonBEResource)
    /// are on unless Enabled is false; others need a Target and a Pattern.
    /// </summary>
    public Dictionary<string, RuleOptions> Rules { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>What a rule's match does unless the rule says otherwise.</summary>
    public RuleAction? Action { get; set; }

    /// <summary>Path prefixes (e.g. /ecp, /PowerShell) to the networks that may reach them. None: every client may.</summary>
    public Dictionary<string, List<string>> InternalOnly { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Form sign-ins (POST /owa/auth.owa, /ecp/auth.owa) per client address; off unless set.</summary>
    public RateLimitOptions? FormLogins { get; set; }

    /// <summary>401 answers per client address on Windows auth services (password spraying); off unless set.</summary>
    public RateLimitOptions? Unauthorized { get; set; }
}

public sealed class RateLimitOptions
{
    public int? PermitLimit { get; set; }

    public TimeSpan? Window { get; set; }
}

public sealed class RuleOptions
{
    public bool? Enabled { get; set; }

    /// <summary>Uri (decoded path and query), Path, Query, Cookie, or Header:Name.</summary>
    public string? Target { get; set; }

    /// <summary>A regular expression, matched case-insensitively against the decoded target.</summary>
    public string? Pattern { get; set; }

    public RuleAction? Action { get; set; }
}

public enum RuleAction
{
    /// <summary>Answer 403.</summary>
    Forbid,

    /// <summary>Close the connection without an answer.</summary>
    Abort,
}
