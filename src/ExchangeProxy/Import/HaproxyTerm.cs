namespace ExchangeProxy.Import;

/// <summary>One term of a condition: an ACL (every definition of a named ACL is OR'ed, as in HAProxy), maybe negated.</summary>
/// <param name="Lines">The lines that define it (named ACLs), so their verdicts follow the rules that use them.</param>
public sealed record HaproxyTerm(bool Negated, IReadOnlyList<HaproxyMatch> Matches, IReadOnlyList<HaproxyLine> Lines)
{
    public bool IsOnly(MatchKind kind) => Matches.Count > 0 && Matches.All(m => m.Kind == kind);

    /// <summary>Every value of every criterion of this term.</summary>
    public IEnumerable<string> Values => Matches.SelectMany(m => m.Values);
}
