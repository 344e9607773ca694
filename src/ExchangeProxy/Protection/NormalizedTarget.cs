namespace ExchangeProxy.Protection;

/// <summary>
/// One request target as the edge reads it: <see cref="Path"/> is what IIS and http.sys would serve (percent-decoded
/// until nothing changes, backslashes as slashes, dot segments resolved, empty segments dropped), for routing, the
/// rules and InternalOnly; <see cref="ForwardPath"/> is the same path as the client encoded it, without its dot
/// and empty segments, for the server (an OWA item id's <c>%2F</c> stays <c>%2F</c>). Where the two readings of a
/// segment could lead to different places (<c>..%2F</c>, a double-encoded dot segment), there is no target: the
/// request is refused.
/// </summary>
public sealed record NormalizedTarget(string Path, string ForwardPath, string RawQuery)
{
    private const int MaxDecodingPasses = 4;

    /// <summary>The query, percent-decoded as the path is, without its '?'.</summary>
    public string DecodedQuery => RawQuery.Length <= 1 ? "" : Decode(RawQuery[1..]);

    /// <summary>Reads a raw request target (origin or absolute form); null with a reason when it must be refused.</summary>
    public static NormalizedTarget? Parse(string rawTarget, out string? refusal)
    {
        refusal = null;
        if (rawTarget.Contains('#', StringComparison.Ordinal))
        {
            refusal = "a fragment ('#') in the request target";
            return null;
        }

        var target = OriginForm(rawTarget);
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var rawPath = query < 0 ? target : target[..query];
        if (rawPath.AsSpan().IndexOfAny('%', '\\') < 0 && !rawPath.Contains("//", StringComparison.Ordinal) && !rawPath.Contains("/.", StringComparison.Ordinal))
        {
            // Nothing to decode or resolve: most requests.
            return new NormalizedTarget(rawPath, rawPath, query < 0 ? "" : target[query..]);
        }

        var units = new List<Unit>();
        var segments = rawPath.Split('/', '\\');
        var trailingSlash = false;
        // segments[0] is what precedes the leading slash: nothing in origin form.
        for (var i = 1; i < segments.Length; i++)
        {
            var raw = segments[i];
            var once = raw.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(raw) : raw;
            var full = Decode(once);
            trailingSlash = true;
            if (full.Length == 0 || full == ".")
            {
                if (once != full)
                {
                    refusal = $"a double-encoded dot segment ('{raw}')";
                    return null;
                }

                continue;
            }

            if (full == "..")
            {
                if (once != full)
                {
                    refusal = $"a double-encoded dot segment ('{raw}')";
                    return null;
                }

                if (units.Count > 0)
                {
                    if (units[^1].Parts.Length > 1)
                    {
                        refusal = $"a dot segment after an encoded slash ('{units[^1].Raw}/{raw}')";
                        return null;
                    }

                    units.RemoveAt(units.Count - 1);
                }

                continue;
            }

            var parts = full.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Any(p => p is "." or ".."))
            {
                refusal = $"an encoded slash or backslash beside a dot segment ('{raw}')";
                return null;
            }

            if (parts.Length == 0)
            {
                // Only encoded slashes: an empty segment, as IIS reads it.
                continue;
            }

            trailingSlash = false;
            units.Add(new Unit(raw, parts));
        }

        var path = "/" + string.Join('/', units.SelectMany(u => u.Parts)) + (trailingSlash && units.Count > 0 ? "/" : "");
        var forward = "/" + string.Join('/', units.Select(u => u.Raw)) + (trailingSlash && units.Count > 0 ? "/" : "");
        return new NormalizedTarget(path, forward, query < 0 ? "" : target[query..]);
    }

    /// <summary>Percent-decodes until nothing changes (attackers double-encode), and reads backslashes as IIS does.</summary>
    internal static string Decode(string value)
    {
        for (var pass = 0; pass < MaxDecodingPasses && value.Contains('%', StringComparison.Ordinal); pass++)
        {
            var next = Uri.UnescapeDataString(value);
            if (next == value)
            {
                break;
            }

            value = next;
        }

        return value.Contains('\\', StringComparison.Ordinal) ? value.Replace('\\', '/') : value;
    }

    /// <summary>The path and query of an absolute-form target (Kestrel has already checked its authority against Host).</summary>
    private static string OriginForm(string target)
    {
        if (target.StartsWith('/'))
        {
            return target;
        }

        var authority = target.IndexOf("://", StringComparison.Ordinal);
        if (authority < 0)
        {
            return "/" + target;
        }

        var path = target.IndexOfAny(['/', '?'], authority + 3);
        return path < 0 ? "/" : target[path] == '?' ? "/" + target[path..] : target[path..];
    }

    /// <param name="Raw">The segment as the client encoded it.</param>
    /// <param name="Parts">What it decodes to, split at encoded slashes.</param>
    private sealed record Unit(string Raw, string[] Parts);
}
