using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ExchangeProxy.Import;

/// <summary>
/// What became of every line of the HAProxy file. A line that feeds several settings keeps its worst verdict,
/// with every note, so an approximation anywhere is never hidden behind a mapping elsewhere.
/// </summary>
public sealed partial class ImportReport
{
    private readonly SortedDictionary<int, Entry> _entries = [];
    private readonly List<string> _notices = [];

    public IEnumerable<(HaproxyLine Line, ImportVerdict Verdict, IReadOnlyList<string> Notes)> Lines =>
        _entries.Values.Select(e => (e.Line, e.Verdict, (IReadOnlyList<string>)e.Notes));

    public int Count(ImportVerdict verdict) => _entries.Values.Count(e => e.Verdict == verdict);

    public ImportVerdict? VerdictOf(int lineNumber) => _entries.TryGetValue(lineNumber, out var entry) ? entry.Verdict : null;

    public void Mapped(HaproxyLine line, string note) => Mark(line, ImportVerdict.Mapped, note);

    public void Approximated(HaproxyLine line, string how) => Mark(line, ImportVerdict.Approximated, how);

    public void NotSupported(HaproxyLine line, string instead) => Mark(line, ImportVerdict.NotSupported, instead);

    /// <summary>What the operator must do after the import (change passwords, review trust), printed after the lines.</summary>
    public void Notice(string text)
    {
        if (!_notices.Contains(text))
        {
            _notices.Add(text);
        }
    }

    public void Mark(HaproxyLine line, ImportVerdict verdict, string note)
    {
        if (!_entries.TryGetValue(line.Number, out var entry))
        {
            _entries[line.Number] = entry = new Entry(line);
        }

        if (verdict > entry.Verdict)
        {
            entry.Verdict = verdict;
        }

        if (note.Length > 0 && !entry.Notes.Contains(note))
        {
            entry.Notes.Add(note);
        }
    }

    /// <summary>One line per HAProxy line (<c>line N: verdict: the line -> notes</c>), a summary, then the notices.</summary>
    public string Format(string fileName)
    {
        var text = new StringBuilder();
        foreach (var (line, verdict, notes) in Lines)
        {
            text.Append(CultureInfo.InvariantCulture, $"{fileName}:{line.Number}: {Name(verdict)}: {line.Display}");
            if (notes.Count > 0)
            {
                text.Append(" -> ").AppendJoin("; ", Grouped(notes));
            }

            text.Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture,
            $"{_entries.Count} lines: {Count(ImportVerdict.Mapped)} mapped, {Count(ImportVerdict.Approximated)} approximated, {Count(ImportVerdict.NotSupported)} not supported\n");
        foreach (var notice in _notices)
        {
            text.Append("NOTE: ").Append(notice).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>"service owa: Retries 3; service ecp: Retries 3" as "services owa, ecp: Retries 3", so a defaults line reads short.</summary>
    private static IEnumerable<string> Grouped(IReadOnlyList<string> notes)
    {
        var groups = new List<(string Kind, List<string> Owners, string Text)>();
        foreach (var note in notes)
        {
            var match = OwnedNote().Match(note);
            if (!match.Success)
            {
                groups.Add(("", [], note));
                continue;
            }

            var (kind, owner, rest) = (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
            var index = groups.FindIndex(g => g.Kind == kind && g.Text == rest);
            if (index >= 0)
            {
                groups[index].Owners.Add(owner);
            }
            else
            {
                groups.Add((kind, [owner], rest));
            }
        }

        return groups.Select(g => g.Kind.Length == 0 ? g.Text
            : $"{g.Kind}{(g.Owners.Count > 1 ? "s" : "")} {string.Join(", ", g.Owners)}: {g.Text}");
    }

    [GeneratedRegex("^(service|listener|pool) ([A-Za-z0-9._-]+): (.+)$", RegexOptions.Singleline)]
    private static partial Regex OwnedNote();

    public static string Name(ImportVerdict verdict) => verdict switch
    {
        ImportVerdict.Mapped => "mapped",
        ImportVerdict.Approximated => "approximated",
        _ => "not supported",
    };

    private sealed class Entry(HaproxyLine line)
    {
        public HaproxyLine Line { get; } = line;

        public ImportVerdict Verdict { get; set; }

        public List<string> Notes { get; } = [];
    }
}
