namespace ExchangeProxy.Import;

/// <summary>
/// The <c>if</c>/<c>unless</c> part of a rule, as alternatives (<c>||</c>, <c>or</c>) of terms that must all hold.
/// <c>unless</c> is read as <c>if</c> with its term negated when it has a single term; otherwise <see cref="Unsupported"/> says so.
/// </summary>
public sealed record HaproxyCondition(IReadOnlyList<IReadOnlyList<HaproxyTerm>> Alternatives, string? Unsupported)
{
    /// <summary>No condition: the rule always applies.</summary>
    public static HaproxyCondition Always { get; } = new([[]], null);

    /// <param name="words">From <c>if</c> or <c>unless</c> on; empty for an unconditional rule.</param>
    public static HaproxyCondition Parse(IReadOnlyList<string> words, IReadOnlyDictionary<string, List<(HaproxyMatch Match, HaproxyLine Line)>> acls, HaproxyLine line)
    {
        if (words.Count == 0)
        {
            return Always;
        }

        if (words[0] is not ("if" or "unless"))
        {
            throw new HaproxyImportException(line.Number, $"'{words[0]}': expected 'if' or 'unless' before a condition");
        }

        var alternatives = new List<IReadOnlyList<HaproxyTerm>>();
        var terms = new List<HaproxyTerm>();
        for (var i = 1; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "||" or "or")
            {
                alternatives.Add(terms);
                terms = [];
                continue;
            }

            var negated = false;
            if (word == "!")
            {
                negated = true;
                word = ++i < words.Count ? words[i] : throw new HaproxyImportException(line.Number, "'!' is not followed by an ACL");
            }
            else if (word.StartsWith('!'))
            {
                negated = true;
                word = word[1..];
            }

            if (word == "{")
            {
                var close = FindClose(words, i, line);
                terms.Add(new HaproxyTerm(negated, [HaproxyMatch.Parse([.. words.Skip(i + 1).Take(close - i - 1)], line)], []));
                i = close;
            }
            else if (acls.TryGetValue(word, out var defined))
            {
                terms.Add(new HaproxyTerm(negated, [.. defined.Select(d => d.Match)], [.. defined.Select(d => d.Line)]));
            }
            else if (HaproxyMatch.PredefinedAcl(word) is { } predefined)
            {
                terms.Add(new HaproxyTerm(negated, [predefined], []));
            }
            else
            {
                throw new HaproxyImportException(line.Number, $"no ACL named '{word}' is defined in this section");
            }
        }

        alternatives.Add(terms);
        if (words[0] == "if")
        {
            return new HaproxyCondition(alternatives, null);
        }

        return alternatives is [[var single]]
            ? new HaproxyCondition([[single with { Negated = !single.Negated }]], null)
            : new HaproxyCondition(alternatives, "an 'unless' over several ACLs");
    }

    private static int FindClose(IReadOnlyList<string> words, int open, HaproxyLine line)
    {
        for (var j = open + 1; j < words.Count; j++)
        {
            if (words[j] == "}")
            {
                return j;
            }
        }

        throw new HaproxyImportException(line.Number, "an anonymous ACL '{' is not closed by '}'");
    }
}
