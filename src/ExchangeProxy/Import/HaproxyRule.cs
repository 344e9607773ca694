namespace ExchangeProxy.Import;

/// <summary>
/// A rule whose meaning depends on its condition: <c>http-request deny</c>, <c>tcp-request connection reject</c>,
/// <c>tcp-request connection expect-proxy</c>, a redirect to HTTPS, <c>use_backend</c>. The condition is read once the
/// whole section (and so every ACL) is known.
/// </summary>
/// <param name="Action">deny, reject, expect-proxy, redirect-https, use-backend, accept.</param>
/// <param name="Target">The backend of a use_backend.</param>
public sealed record HaproxyRule(string Action, string? Target, IReadOnlyList<string> ConditionWords, HaproxyLine Line)
{
    public HaproxyCondition Condition { get; init; } = HaproxyCondition.Always;
}
