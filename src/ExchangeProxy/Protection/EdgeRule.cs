using System.Text.RegularExpressions;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Protection;

/// <summary>One resolved rule: what it looks at, the compiled pattern (with a match timeout), and what it does.</summary>
public sealed record EdgeRule(string Name, string Target, Regex Pattern, RuleAction Action)
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The rules Exchange operators deployed at their reverse proxies after the 2021-2022 mass exploitation:
    /// Microsoft's final ProxyNotShell URL rewrite, the ProxyShell Autodiscover SSRF shape, and ProxyLogon's cookies.
    /// </summary>
    public static IReadOnlyList<(string Name, string Target, string Pattern)> BuiltIn { get; } =
    [
        ("ProxyNotShell", "Uri", "(?=.*autodiscover)(?=.*powershell)"),
        // autodiscover.json?@host/...: the query starts the SSRF; Autodiscover v2's own
        // autodiscover.json/v1.0/user@domain does not have it.
        ("ProxyShell", "Uri", @"autodiscover\.json\?[^/]*@"),
        ("ProxyLogonAnonResource", "Cookie", "X-AnonResource-Backend"),
        ("ProxyLogonBEResource", "Cookie", "X-BEResource=(.+)/(.+)~(.+)"),
    ];

    public static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled, MatchTimeout);

    public static bool IsTarget(string target) =>
        target is "Uri" or "Path" or "Query" or "Cookie" || (target.StartsWith("Header:", StringComparison.Ordinal) && target.Length > 7);
}
