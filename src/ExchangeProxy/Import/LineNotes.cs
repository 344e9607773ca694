namespace ExchangeProxy.Import;

/// <summary>Verdicts gathered while reading a line's options, marked on the line once it is known which line they belong to.</summary>
public sealed class LineNotes
{
    private readonly List<(ImportVerdict Verdict, string Note)> _notes = [];

    public IReadOnlyList<(ImportVerdict Verdict, string Note)> All => _notes;

    public void Add(ImportVerdict verdict, string note) => _notes.Add((verdict, note));

    public void MarkOn(HaproxyLine line, ImportReport report)
    {
        foreach (var (verdict, note) in _notes)
        {
            report.Mark(line, verdict, note);
        }
    }
}
