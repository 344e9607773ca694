namespace ExchangeProxy.Import;

/// <summary>An HAProxy configuration file read into its sections, every line kept with its number.</summary>
public static class HaproxyConfigFile
{
    private static readonly string[] SectionKeywords =
        ["global", "defaults", "frontend", "backend", "listen", "peers", "userlist", "resolvers", "cache", "program",
         "http-errors", "ring", "mailers", "fcgi-app", "dynamic-update", "crt-store", "traces"];

    public static IReadOnlyList<HaproxySection> Parse(string text)
    {
        var sections = new List<HaproxySection>();
        (string Kind, string Name, HaproxyLine Header, List<HaproxyLine> Lines)? current = null;
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var words = HaproxyTokenizer.Split(raw, number);
            if (words.Count == 0)
            {
                continue;
            }

            var line = new HaproxyLine(number, words);
            if (SectionKeywords.Contains(words[0]))
            {
                if (current is { } done)
                {
                    sections.Add(new HaproxySection(done.Kind, done.Name, done.Header, done.Lines));
                }

                if (words[0] is "frontend" or "backend" or "listen" or "peers" or "userlist" && words.Count < 2)
                {
                    throw new HaproxyImportException(number, $"'{words[0]}' needs a name");
                }

                current = (words[0], words.Count > 1 ? words[1] : "", line, []);
                continue;
            }

            if (current is null)
            {
                throw new HaproxyImportException(number, $"'{words[0]}' is outside any section (global, defaults, frontend, backend, listen...)");
            }

            current.Value.Lines.Add(line);
        }

        if (current is { } last)
        {
            sections.Add(new HaproxySection(last.Kind, last.Name, last.Header, last.Lines));
        }

        return sections;
    }
}
