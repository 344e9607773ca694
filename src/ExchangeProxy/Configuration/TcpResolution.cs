using System.Net;

namespace ExchangeProxy.Configuration;

/// <summary>Resolves the layer-4 listeners and pools.</summary>
public static class TcpResolution
{
    public static List<TcpService> Resolve(
        ExchangeProxyOptions options, List<BackendServer> servers, IReadOnlyCollection<string> serviceNames,
        IReadOnlyList<IPNetwork> trustedProxies, List<ConfigError> errors)
    {
        var resolved = new List<TcpService>();
        var listening = new Dictionary<IPEndPoint, string>();
        foreach (var (name, configured) in options.Listeners)
        {
            var key = $"{ExchangeProxyOptions.SectionName}:Listeners:{name}";
            if (serviceNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(new ConfigError(key, $"'{name}' is also a service name; listeners and services need distinct names"));
                continue;
            }

            if (Resolve(name, configured, key, servers, options, trustedProxies, errors) is { } service)
            {
                // Port 0 asks the system for a free port each time: never a clash.
                if (service.Listen is { Port: > 0 } endpoint && listening.TryGetValue(endpoint, out var other))
                {
                    errors.Add(new ConfigError($"{key}:Listen", $"{endpoint} is already the address of listener '{other}'"));
                    continue;
                }

                if (service.Listen is { Port: > 0 } bound)
                {
                    listening[bound] = name;
                }

                resolved.Add(service);
            }
        }

        foreach (var service in resolved)
        {
            foreach (var (host, pool) in service.Sni)
            {
                if (!resolved.Any(r => string.Equals(r.Name, pool, StringComparison.OrdinalIgnoreCase)))
                {
                    errors.Add(new ConfigError($"{ExchangeProxyOptions.SectionName}:Listeners:{service.Name}:Sni:{host}",
                        $"'{pool}' is not a listener or pool"));
                }
            }
        }

        return resolved;
    }

    private static TcpService? Resolve(
        string name, TcpListenerOptions configured, string key, List<BackendServer> servers, ExchangeProxyOptions options,
        IReadOnlyList<IPNetwork> trustedProxies, List<ConfigError> errors)
    {
        var errorCount = errors.Count;
        IPEndPoint? listen = null;
        if (configured.Listen is { } text && (!IPEndPoint.TryParse(text, out listen) || listen.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal)))
        {
            errors.Add(new ConfigError($"{key}:Listen", $"'{text}' is not IP:port (e.g. 0.0.0.0:443 or [::]:25)"));
        }

        var port = configured.Port ?? listen?.Port ?? 0;
        // An unreadable Listen has been reported; its port would only repeat the error.
        if (port is < 1 or > 65535 && (configured.Port is not null || configured.Listen is null))
        {
            errors.Add(new ConfigError($"{key}:Port",
                configured.Port is not null ? $"{port} is outside 1..65535"
                : listen is null ? "required for a pool without Listen"
                : "required when Listen asks for any free port (:0)"));
        }

        var members = ServerListResolution.Resolve(configured.Servers, servers, $"{key}:Servers", errors);

        var defaultCheck = port switch
        {
            25 or 587 => CheckType.Smtp,
            443 or 465 => CheckType.TlsHello,
            _ => CheckType.Tcp,
        };
        var checkOptions = configured.Check ?? new CheckOptions();
        checkOptions.Type ??= defaultCheck;
        var check = CheckResolution.Resolve("", checkOptions, key, errors);
        var affinity = AffinityResolution.Resolve(name, configured.Affinity, key, errors);

        var connect = Resolved(configured.ConnectTimeout ?? TcpService.DefaultConnectTimeout, $"{key}:ConnectTimeout", errors);
        var client = Resolved(configured.ClientTimeout ?? TcpService.DefaultClientTimeout, $"{key}:ClientTimeout", errors);
        var server = Resolved(configured.ServerTimeout ?? TcpService.DefaultServerTimeout, $"{key}:ServerTimeout", errors);
        var maxConnections = configured.MaxConnections ?? TcpService.DefaultMaxConnections;
        Require.Positive(maxConnections, $"{key}:MaxConnections", errors);

        var retries = configured.Retries ?? TcpService.DefaultRetries;
        Require.InRange(retries, 0, TcpService.MaxRetries, $"{key}:Retries", errors);

        var sni = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (host, pool) in configured.Sni ?? [])
        {
            var lower = host.Trim().ToLowerInvariant();
            if (lower.Length == 0 || lower.Contains('*', StringComparison.Ordinal) && !(lower.StartsWith("*.", StringComparison.Ordinal) && lower.LastIndexOf('*') == 0))
            {
                errors.Add(new ConfigError($"{key}:Sni:{host}", "a server name is exact (mail.contoso.com) or a wildcard (*.contoso.com)"));
            }

            sni[lower] = pool;
        }

        var allowed = NetworkList.Parse(configured.AllowedClients ?? [], $"{key}:AllowedClients", errors);
        IReadOnlyList<IPNetwork> proxyFrom = [];
        if (configured.AcceptProxy == true)
        {
            // A PROXY header names any client its sender likes: believed only from the load balancers that send it.
            proxyFrom = configured.AcceptProxyFrom is { } from ? NetworkList.Parse(from, $"{key}:AcceptProxyFrom", errors) : trustedProxies;
            if (proxyFrom.Count == 0 && configured.AcceptProxyFrom is not { Count: > 0 })
            {
                errors.Add(new ConfigError($"{key}:AcceptProxy",
                    "a PROXY header is believed only from the load balancers that send it: list their networks in AcceptProxyFrom or TrustedProxies"));
            }
        }
        else if (configured.AcceptProxyFrom is { Count: > 0 })
        {
            errors.Add(new ConfigError($"{key}:AcceptProxyFrom", "is read only with \"AcceptProxy\": true"));
        }

        if (errors.Count > errorCount)
        {
            return null;
        }

        return new TcpService(name, listen, port, members, configured.Balance ?? BalanceMode.RoundRobin, affinity, check,
            connect, client, server, maxConnections, retries, configured.Redispatch ?? true, configured.DontLogNull ?? true,
            configured.SendProxy ?? ProxyProtocolVersion.None, proxyFrom, sni,
            configured.AcceptAnyServerCertificate ?? options.AcceptAnyServerCertificate, allowed, configured.Relay ?? false);
    }

    private static TimeSpan Resolved(TimeSpan value, string key, List<ConfigError> errors)
    {
        Require.Positive(value, key, errors);
        return value;
    }
}
