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
    RateLimit? Unauthorized = null,
    AccountProtectionSettings? Accounts = null)
{
    /// <summary>The soft lockouts; the defaults where nothing was said.</summary>
    public AccountProtectionSettings AccountProtection => Accounts ?? AccountProtectionSettings.Default;

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
                AddRule(rules, $"{Key}:Rules:{name}", name, options?.Target ?? target, options?.Pattern ?? pattern, options?.Action ?? defaultAction, errors);
            }
        }

        foreach (var (name, options) in configured.Rules.Where(r => !EdgeRule.BuiltIn.Any(b => string.Equals(b.Name, r.Key, StringComparison.OrdinalIgnoreCase))))
        {
            if (options.Enabled != false)
            {
                AddRule(rules, $"{Key}:Rules:{name}", name, options.Target, options.Pattern, options.Action ?? defaultAction, errors);
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
            RateLimit.Resolve(configured.Unauthorized, $"{Key}:Unauthorized", errors),
            AccountProtectionSettings.Resolve(configured.Accounts, $"{Key}:Accounts", errors));
    }

    private static void AddRule(List<EdgeRule> rules, string key, string name, string? target, string? pattern, RuleAction action, List<ConfigError> errors)
    {
        if (target is null || !EdgeRule.IsTarget(target))
        {
            errors.Add(new ConfigError($"{key}:Target", $"'{target}' is not Uri, Path, Query, Cookie or Header:Name"));
        }
        else if (string.IsNullOrEmpty(pattern))
        {
            errors.Add(new ConfigError($"{key}:Pattern", "a rule needs a Pattern (a regular expression)"));
        }
        else
        {
            try
            {
                rules.Add(new EdgeRule(name, target, EdgeRule.Compile(pattern), action));
            }
            catch (ArgumentException e)
            {
                errors.Add(new ConfigError($"{key}:Pattern", $"'{pattern}' is not a regular expression: {e.Message}"));
            }
        }
    }
}
