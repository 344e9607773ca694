namespace ExchangeProxy.Configuration;

/// <summary>Resolves the affinity of each service and listener into its stick table.</summary>
public static class AffinityResolution
{
    public static StickTableSettings? Resolve(string service, AffinityOptions? configured, string key, List<ConfigError> errors)
    {
        if (configured is null || (configured.Mode ?? AffinityMode.ClientIp) == AffinityMode.None)
        {
            return null;
        }

        key += ":Affinity";
        var errorCount = errors.Count;
        var table = configured.Table?.Trim() ?? service;
        if (table.Length == 0 || !table.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            errors.Add(new ConfigError($"{key}:Table", $"'{configured.Table}' is not a table name (letters, digits, '.', '-', '_')"));
        }

        var size = configured.Size ?? StickTableSettings.DefaultSize;
        if (size is < 1 or > StickTableSettings.MaxSize)
        {
            errors.Add(new ConfigError($"{key}:Size", $"{size} is outside 1..{StickTableSettings.MaxSize}"));
        }

        var expire = configured.Expire ?? StickTableSettings.DefaultExpire;
        if (expire <= TimeSpan.Zero)
        {
            errors.Add(new ConfigError($"{key}:Expire", $"{expire} is not a positive duration (hh:mm:ss)"));
        }

        var ipv4 = configured.IPv4Prefix ?? 32;
        if (ipv4 is < 0 or > 32)
        {
            errors.Add(new ConfigError($"{key}:IPv4Prefix", $"{ipv4} is outside 0..32"));
        }

        var ipv6 = configured.IPv6Prefix ?? 128;
        if (ipv6 is < 0 or > 128)
        {
            errors.Add(new ConfigError($"{key}:IPv6Prefix", $"{ipv6} is outside 0..128"));
        }

        return errors.Count > errorCount ? null : new StickTableSettings(table, size, expire, ipv4, ipv6);
    }

    /// <summary>Services and listeners that share a table must agree on what the table is.</summary>
    public static void CheckSharedTables(IEnumerable<(string Owner, string Key, StickTableSettings? Table)> users, List<ConfigError> errors)
    {
        var first = new Dictionary<string, (string Owner, StickTableSettings Table)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (owner, key, table) in users)
        {
            if (table is null)
            {
                continue;
            }

            if (!first.TryGetValue(table.Name, out var other))
            {
                first[table.Name] = (owner, table);
            }
            else if (other.Table with { Name = table.Name } != table)
            {
                errors.Add(new ConfigError($"{key}:Affinity",
                    $"table '{table.Name}' is also used by '{other.Owner}' with other settings "
                    + $"(Size {other.Table.Size}, Expire {other.Table.Expire}, prefixes /{other.Table.IPv4Prefix} /{other.Table.IPv6Prefix}); "
                    + "services sharing a table must set the same Size, Expire and prefixes"));
            }
        }
    }
}
