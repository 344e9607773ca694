using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExchangeProxy.Import;

/// <summary>The proxy's configuration converted from an HAProxy file, and the report of what became of each line.</summary>
public sealed record ImportResult(JsonObject Configuration, ImportReport Report)
{
    // Relaxed escaping: a file for people, not HTML; password hashes keep their '+' as written.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>appsettings.json as written, with a first line saying where it came from.</summary>
    public string ToJson(string source) =>
        $"// Converted from {source} by ExchangeProxy --import-haproxy; its report says what was approximated and what has no equivalent.\n"
        + Configuration.ToJsonString(Indented) + "\n";
}
