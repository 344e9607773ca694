using System.Text;

namespace ExchangeProxy.Import;

/// <summary>HAProxy names as the proxy's names: letters, digits, '.', '-', '_' (HAProxy also allows ':').</summary>
public static class ImportNames
{
    public static string Of(string haproxyName)
    {
        var name = new StringBuilder();
        foreach (var c in haproxyName)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-');
        }

        return name.Length == 0 ? "imported" : name.ToString();
    }

    /// <summary><paramref name="name"/>, or with -2, -3... until no taken name has it (case-insensitively).</summary>
    public static string Unique(string name, IEnumerable<string> taken)
    {
        var set = new HashSet<string>(taken, StringComparer.OrdinalIgnoreCase);
        var unique = name;
        for (var i = 2; set.Contains(unique); i++)
        {
            unique = $"{name}-{i}";
        }

        return unique;
    }
}
