using System.Text.RegularExpressions;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Protection;

/// <summary>One resolved rule: what it looks at, the compiled pattern, and what it does.</summary>
public sealed record EdgeRule(string Name, string Target, Regex Pattern, RuleAction Action)
{
    /// <summary>Only for an operator's pattern that needs backtracking (lookarounds, backreferences).</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    private const RegexOptions Options = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline;

    /// <summary>
    /// The rules Exchange operators deployed at their reverse proxies after the 2021-2022 mass exploitation, written
    /// to run in linear time on attacker input (no lookarounds), with '.' matching newlines (%0A does not split them).
    /// </summary>
    public static IReadOnlyList<(string Name, string Target, string Pattern)> BuiltIn { get; } =
    [
        // Microsoft's final ProxyNotShell URL rewrite rule: both words anywhere in the URI, in either order.
        ("ProxyNotShell", "Uri", "autodiscover.*powershell|powershell.*autodiscover"),
        // The SSRF shape: after autodiscover.json, an '@' whose host is followed by a path (?@evil.com/mapi/nspi/),
        // or autodiscover.json named again (in the Email parameter, as the exploit does). Autodiscover v2's own forms,
        // ?Email=user@domain&Protocol=... and /v1.0/user@domain?Protocol=..., have neither.
        ("ProxyShell", "Uri", @"autodiscover\.json.*(@[^&]*/|autodiscover\.json)"),
        ("ProxyLogonAnonResource", "Cookie", "X-AnonResource-Backend"),
        ("ProxyLogonBEResource", "Cookie", "X-BEResource=(.+)/(.+)~(.+)"),
    ];

    /// <summary>
    /// Linear time (RegexOptions.NonBacktracking) wherever the pattern allows it; a pattern that needs backtracking
    /// gets <see cref="MatchTimeout"/>. <see cref="IsLinear"/> tells which.
    /// </summary>
    /// <exception cref="ArgumentException">Not a regular expression.</exception>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, Options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, Options | RegexOptions.Compiled, MatchTimeout);
        }
    }

    public bool IsLinear => (Pattern.Options & RegexOptions.NonBacktracking) != 0;

    public static bool IsTarget(string target) =>
        target is "Uri" or "Path" or "Query" or "Cookie" || (target.StartsWith("Header:", StringComparison.Ordinal) && target.Length > 7);
}
