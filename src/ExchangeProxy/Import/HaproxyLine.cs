namespace ExchangeProxy.Import;

/// <summary>One non-blank, non-comment line of an HAProxy file, split into words as HAProxy splits it.</summary>
public sealed record HaproxyLine(int Number, IReadOnlyList<string> Words)
{
    /// <summary>The line as the report shows it: its words, with any password replaced, so a report can be shared.</summary>
    public string Display
    {
        get
        {
            var words = Words.ToArray();
            foreach (var index in SecretIndexes())
            {
                words[index] = index == 2 && words[0] == "stats" && words[2].Contains(':', StringComparison.Ordinal)
                    ? words[2][..words[2].IndexOf(':', StringComparison.Ordinal)] + ":****"
                    : "****";
            }

            return string.Join(' ', words.Select(w => w.Length == 0 || w.Any(char.IsWhiteSpace) ? $"\"{w}\"" : w));
        }
    }

    public string Word(int index) => index < Words.Count ? Words[index] : "";

    /// <summary>Whether the line starts with these words.</summary>
    public bool Is(params string[] words) => words.Length <= Words.Count && words.Select((w, i) => Words[i] == w).All(same => same);

    // stats auth user:password, and userlist's user NAME password|insecure-password SECRET.
    private IEnumerable<int> SecretIndexes()
    {
        if (Is("stats", "auth") && Words.Count > 2)
        {
            yield return 2;
        }

        for (var i = 1; i + 1 < Words.Count; i++)
        {
            if (Words[0] == "user" && Words[i] is "password" or "insecure-password")
            {
                yield return i + 1;
            }
        }
    }
}
