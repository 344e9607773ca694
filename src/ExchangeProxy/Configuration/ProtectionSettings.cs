using System.Net;
using ExchangeProxy.Protection;

namespace ExchangeProxy.Configuration;

/// <param name="InternalOnly">Path prefixes to the networks that may reach them.</param>
/// <param name="FormLogins">Sign-in form posts per client and window; null: no limit.</param>
/// <param name="Unauthorized">401 answers per client and window on Windows auth services; null: no limit.</param>
public sealed record ProtectionSettings(
    IReadOnlyList<EdgeRule> Rules,
    IReadOnlyDictionary<string, IReadOnlyList<IPNetwork>> InternalOnly,
    RateLimit? FormLogins = null,
    RateLimit? Unauthorized = null)
{
    public static ProtectionSettings Resolve(ProtectionOptions configured, List<ConfigError> errors)
    {
        const string Key = $"{ExchangeProxyOptions.SectionName}:Protection";
        var defaultAction = configured.Action ?? RuleAction.Forbid;
        var rules = new List<EdgeRule>();
        foreach (var (name, target, pattern) in EdgeRule.BuiltIn)
        {
            configured.Rules.TryGetValue(name, out var options);
            if (options?.Enabled != false)
            {
                rules.Add(new EdgeRule(name, options?.Target ?? target, EdgeRule.Compile(options?.Pattern ?? pattern), options?.Action ?? defaultAction));
            }
        }

        foreach (var (name, options) in configured.Rules.Where(r => !EdgeRule.BuiltIn.Any(b => string.Equals(b.Name, r.Key, StringComparison.OrdinalIgnoreCase))))
        {
            var key = $"{Key}:Rules:{name}";
            if (options.Enabled == false)
            {
                continue;
            }

            if (options.Target is not { } target || !EdgeRule.IsTarget(target))
            {
                errors.Add(new ConfigError($"{key}:Target", $"'{options.Target}' is not Uri, Path, Query, Cookie or Header:Name"));
                continue;
            }

            try
            {
                rules.Add(new EdgeRule(name, target, EdgeRule.Compile(options.Pattern ?? throw new ArgumentException("no pattern")), options.Action ?? defaultAction));
            }
            catch (ArgumentException e)
            {
                errors.Add(new ConfigError($"{key}:Pattern", $"'{options.Pattern}' is not a regular expression: {e.Message}"));
            }
        }

        var internalOnly = new Dictionary<string, IReadOnlyList<IPNetwork>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (path, networks) in configured.InternalOnly)
        {
            var parsed = NetworkList.Parse(networks, $"{Key}:InternalOnly:{path}", errors);

            if (!path.StartsWith('/'))
            {
                errors.Add(new ConfigError($"{Key}:InternalOnly:{path}", "a path prefix starts with '/'"));
            }

            internalOnly[path.TrimEnd('/')] = parsed;
        }

        return new ProtectionSettings(rules, internalOnly,
            RateLimit.Resolve(configured.FormLogins, $"{Key}:FormLogins", errors),
            RateLimit.Resolve(configured.Unauthorized, $"{Key}:Unauthorized", errors));
    }
}
