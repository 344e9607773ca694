namespace ExchangeProxy.Configuration;

/// <summary>The servers a service or a layer-4 pool names, resolved against the one server list: the same errors for both.</summary>
public static class ServerListResolution
{
    /// <param name="names">The names as written; null means every server.</param>
    /// <param name="key">The list's key; each entry's error names it with the entry's index.</param>
    public static List<BackendServer> Resolve(IReadOnlyList<string>? names, IReadOnlyList<BackendServer> servers, string key, List<ConfigError> errors)
    {
        if (names is null)
        {
            return [.. servers];
        }

        var members = new List<BackendServer>();
        for (var i = 0; i < names.Count; i++)
        {
            var member = servers.FirstOrDefault(s => string.Equals(s.Name, names[i], StringComparison.OrdinalIgnoreCase));
            if (member is null)
            {
                errors.Add(new ConfigError($"{key}:{i}", $"unknown server '{names[i]}'"));
            }
            else if (members.Contains(member))
            {
                errors.Add(new ConfigError($"{key}:{i}", $"server '{member.Name}' is listed twice"));
            }
            else
            {
                members.Add(member);
            }
        }

        return members;
    }
}
