using System.Text.RegularExpressions;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Import;

/// <summary>
/// The path prefixes a path ACL selects, as the proxy routes them: Exchange's virtual directories (case-insensitive, as IIS),
/// or prefixes of other applications. A regular expression is read as the virtual directories it matches.
/// </summary>
public sealed partial record PathTargets(IReadOnlyList<string> Paths, ImportVerdict Verdict, string Note)
{
    public static PathTargets Of(HaproxyTerm term)
    {
        var paths = new List<string>();
        var verdict = ImportVerdict.Mapped;
        var notes = new List<string>();
        foreach (var match in term.Matches)
        {
            if (match.File is not null)
            {
                return new PathTargets([], ImportVerdict.NotSupported, $"-f {match.File}: write the paths in the rule");
            }

            foreach (var value in match.Values)
            {
                var (found, valueVerdict, note) = match.Method switch
                {
                    "beg" or "dir" => Prefix(value),
                    "str" => Exact(value),
                    "reg" => Regular(value, match.IgnoreCase),
                    _ => ([], ImportVerdict.NotSupported, $"path_{match.Method}: the proxy routes by path prefix (virtual directory)"),
                };
                if (found.Count == 0)
                {
                    return new PathTargets([], ImportVerdict.NotSupported, note);
                }

                paths.AddRange(found.Where(p => !paths.Contains(p, StringComparer.OrdinalIgnoreCase)));
                verdict = valueVerdict > verdict ? valueVerdict : verdict;
                if (note.Length > 0)
                {
                    notes.Add(note);
                }
            }
        }

        return new PathTargets(paths, verdict, string.Join("; ", notes));
    }

    public static VirtualDirectory? VirtualDirectoryAt(string path) =>
        ExchangeVirtualDirectories.All.FirstOrDefault(v => string.Equals(v.Path, path, StringComparison.OrdinalIgnoreCase));

    private static (List<string>, ImportVerdict, string) Prefix(string value)
    {
        var path = value.TrimEnd('/');
        if (path.Length == 0)
        {
            return ([], ImportVerdict.NotSupported, "'/' (everything): the proxy routes Exchange's virtual directories; use default_backend's servers for them");
        }

        if (VirtualDirectoryAt(path) is { } vdir)
        {
            return ([vdir.Path], ImportVerdict.Mapped, "");
        }

        if (ExchangeVirtualDirectories.All.FirstOrDefault(v => path.StartsWith(v.Path + "/", StringComparison.OrdinalIgnoreCase)) is { } parent)
        {
            return ([], ImportVerdict.NotSupported, $"{path} is inside {parent.Path}: the proxy routes whole virtual directories, so it goes where {parent.Path} goes");
        }

        return RoutePath().IsMatch(path)
            ? ([path], ImportVerdict.Mapped, $"{path} is not an Exchange virtual directory: a service of its own")
            : ([], ImportVerdict.NotSupported, $"'{value}' is not a path prefix the proxy can route (no wildcards or query)");
    }

    private static (List<string>, ImportVerdict, string) Exact(string value)
    {
        var (paths, verdict, note) = Prefix(value);
        return paths.Count == 0 ? (paths, verdict, note)
            : (paths, ImportVerdict.Approximated, $"exact path {value}: every path under {paths[0]} is routed");
    }

    private static (List<string>, ImportVerdict, string) Regular(string pattern, bool ignoreCase)
    {
        Regex regex;
        try
        {
            regex = new Regex(pattern, ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return ([], ImportVerdict.NotSupported, $"'{pattern}' is not a regular expression .NET reads; write path_beg with the virtual directories");
        }

        try
        {
            var matched = ExchangeVirtualDirectories.All
                .Where(v => regex.IsMatch(v.Path + "/") || regex.IsMatch(v.Path.ToLowerInvariant() + "/"))
                .Select(v => v.Path).ToList();
            return matched.Count == 0
                ? ([], ImportVerdict.NotSupported, $"path_reg {pattern} matches no Exchange virtual directory; write path_beg with the prefix")
                : (matched, ImportVerdict.Approximated, $"path_reg {pattern} read as the virtual directories it matches: {string.Join(", ", matched)}");
        }
        catch (RegexMatchTimeoutException)
        {
            return ([], ImportVerdict.NotSupported, $"path_reg {pattern} takes too long to match; write path_beg with the virtual directories");
        }
    }

    [GeneratedRegex("^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$")]
    private static partial Regex RoutePath();
}
