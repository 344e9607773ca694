using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExchangeProxy.Import;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Import;

/// <summary>The README's "Coming from HAProxy" says what the importer does: its corpus table and its worked example.</summary>
public sealed partial class ReadmeCorpusTableTests
{
    private static string Section()
    {
        var readme = File.ReadAllText(Repository.PathOf("README.md"));
        var start = readme.IndexOf("## Coming from HAProxy", StringComparison.Ordinal);
        Assert.True(start >= 0, "the README has a \"Coming from HAProxy\" section");
        return readme[start..readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal)];
    }

    [Fact]
    public async Task The_table_counts_what_the_importer_reports_for_each_corpus_file()
    {
        var rows = TableRow().Matches(Section()).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal(CorpusRun.Files, rows.Keys.Order(StringComparer.Ordinal));

        await using var run = new CorpusRun();
        foreach (var file in CorpusRun.Files)
        {
            var report = HaproxyImporter.Import(run.Substituted(file), run.CertificateDirectory).Report;
            var counts = $"{report.Lines.Count()} | {report.Count(ImportVerdict.Mapped)} | {report.Count(ImportVerdict.Approximated)} | {report.Count(ImportVerdict.NotSupported)}";
            Assert.True(rows[file] == counts, $"{file}: the README says {rows[file]}, the importer {counts}");
        }
    }

    [Fact]
    public void The_worked_example_is_what_the_seed_becomes()
    {
        var section = Section();
        var example = section[section.IndexOf("**Worked example**", StringComparison.Ordinal)..];
        var json = JsonBlock().Match(example).Groups[1].Value;
        var seed = File.ReadAllText(Repository.PathOf("deploy/haproxy/exchange-seed.cfg"));
        var result = HaproxyImporter.Import(seed, Repository.PathOf("deploy/haproxy"));

        var written = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        Assert.True(JsonNode.DeepEquals(result.Configuration, written), result.ToJson("exchange-seed.cfg"));
        Assert.StartsWith(json.Split('\n')[0], result.ToJson("exchange-seed.cfg"), StringComparison.Ordinal);

        var report = result.Report.Format("exchange-seed.cfg");
        foreach (var line in TextBlock().Match(example).Groups[1].Value.Split('\n'))
        {
            Assert.Contains(line, report, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"^\| `([\w.-]+\.cfg)` \| [^|]+ \| (\d+ \| \d+ \| \d+ \| \d+) \|$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"```jsonc\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"```text\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex TextBlock();
}
