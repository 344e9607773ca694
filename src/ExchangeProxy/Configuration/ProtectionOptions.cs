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

    /// <summary>Soft lockouts of users, devices and addresses that keep failing to sign in; on by default.</summary>
    public AccountProtectionOptions? Accounts { get; set; }
}
