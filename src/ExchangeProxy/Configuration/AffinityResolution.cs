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
        Require.InRange(size, 1, StickTableSettings.MaxSize, $"{key}:Size", errors);

        var expire = configured.Expire ?? StickTableSettings.DefaultExpire;
        Require.Positive(expire, $"{key}:Expire", errors);

        var ipv4 = configured.IPv4Prefix ?? 32;
        Require.InRange(ipv4, 0, 32, $"{key}:IPv4Prefix", errors);

        var ipv6 = configured.IPv6Prefix ?? 128;
        Require.InRange(ipv6, 0, 128, $"{key}:IPv6Prefix", errors);

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
