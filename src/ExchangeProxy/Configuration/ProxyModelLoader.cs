using System.Text.RegularExpressions;

namespace ExchangeProxy.Configuration;

/// <summary>Binds the <c>ExchangeProxy</c> section, checks every key, and resolves the defaults into a <see cref="ProxyModel"/>.</summary>
public static partial class ProxyModelLoader
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    private const string Section = ExchangeProxyOptions.SectionName;
    private const int MaxWeight = 256;

    /// <summary>
    /// Every error of every kind in one pass: keys and values the options cannot hold are reported and left out,
    /// and what remains is bound and resolved, so a file with several mistakes lists them all at once.
    /// </summary>
    public static ConfigLoadResult Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var shape = ConfigShape.Check(section, typeof(ExchangeProxyOptions)).ToList();
        if (shape.Count > 0)
        {
            section = Without(section, shape);
        }

        ExchangeProxyOptions options;
        try
        {
            options = section.Get<ExchangeProxyOptions>() ?? new ExchangeProxyOptions();
        }
        catch (InvalidOperationException e)
        {
            // ConfigShape already refuses what the binder cannot convert; this keeps a binder surprise from
            // escaping a reload callback, where it would end the process.
            var detail = e.InnerException is null ? "" : " " + e.InnerException.Message;
            return ConfigLoadResult.Failed([.. shape, new ConfigError(Section, e.Message + detail)]);
        }

        var customRoutes = configuration.GetSection("ReverseProxy:Routes").GetChildren().Count();
        var resolved = Resolve(options, customRoutes);
        return shape.Count == 0 ? resolved : ConfigLoadResult.Failed([.. shape, .. resolved.Errors]);
    }

    /// <summary>The section without the keys at fault, so the binder takes the defaults there and the rest is still checked.</summary>
    private static IConfigurationSection Without(IConfigurationSection section, IReadOnlyList<ConfigError> faults)
    {
        var kept = section.AsEnumerable()
            .Where(pair => pair.Value is not null && !faults.Any(f =>
                pair.Key.Equals(f.Key, StringComparison.OrdinalIgnoreCase)
                || pair.Key.StartsWith(f.Key + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase)));
        return new ConfigurationBuilder().AddInMemoryCollection(kept).Build().GetSection(Section);
    }

    public static ConfigLoadResult Resolve(ExchangeProxyOptions options, int customRouteCount)
    {
        var errors = new List<ConfigError>();
        var servers = ResolveServers(options.Servers, errors);
        var services = ResolveServices(options, servers, errors);
        var trusted = NetworkList.Parse(options.TrustedProxies, $"{Section}:TrustedProxies", errors);
        var tcp = TcpResolution.Resolve(options, servers, [.. services.Select(s => s.Name)], trusted, errors);
        AffinityResolution.CheckSharedTables(
            services.Select(s => (s.Name, $"{Section}:Services:{s.Name}", s.Affinity))
                .Concat(tcp.Select(t => (t.Name, $"{Section}:Listeners:{t.Name}", t.Affinity))),
            errors);
        var redis = RedisResolution.Resolve(options.Redis, errors);
        var admin = AdminResolution.Resolve(options.Admin, errors);
        var protection = ProtectionSettings.Resolve(options.Protection, errors);
        var httpRedirect = RedirectResolution.ResolveHttpRedirect(options.HttpRedirect, tcp, admin, errors);
        var rootRedirect = RedirectResolution.ResolveRootRedirect(options.RootRedirect, errors);
        var (ns, authorities) = ResolveServerTls(options, errors);
        if (options.MaxConnections is { } maxConnections)
        {
            Require.Positive(maxConnections, $"{Section}:MaxConnections", errors);
        }

        var grace = options.ShutdownGracePeriod ?? ProxyModel.DefaultShutdownGracePeriod;
        Require.NotNegative(grace, $"{Section}:ShutdownGracePeriod", errors);

        if (errors.Count == 0 && services.Count == 0 && customRouteCount == 0 && !tcp.Any(t => t.Listen is not null))
        {
            errors.Add(new ConfigError($"{Section}:Services",
                "every service is disabled, ReverseProxy:Routes is empty and no listener is declared: the proxy would route nothing"));
        }

        return errors.Count > 0
            ? ConfigLoadResult.Failed([.. errors])
            : ConfigLoadResult.Succeeded(new ProxyModel(servers, services, tcp, trusted, redis, admin, grace, protection, ns, authorities, options.MaxConnections,
                httpRedirect, rootRedirect));
    }

    private static (string? Namespace, CertificateAuthorities? Authorities) ResolveServerTls(ExchangeProxyOptions options, List<ConfigError> errors)
    {
        var ns = options.Namespace?.Trim().TrimEnd('.');
        if (ns is not null && Uri.CheckHostName(ns) != UriHostNameType.Dns)
        {
            errors.Add(new ConfigError($"{Section}:Namespace", $"'{options.Namespace}' is not a DNS name like mail.contoso.com"));
        }

        CertificateAuthorities? authorities = null;
        if (!string.IsNullOrWhiteSpace(options.ServerCertificateAuthority))
        {
            authorities = CertificateAuthorities.Load(options.ServerCertificateAuthority, out var problem);
            if (problem is not null)
            {
                errors.Add(new ConfigError($"{Section}:ServerCertificateAuthority", problem));
            }
        }

        return (ns, authorities);
    }

    private static List<BackendServer> ResolveServers(List<ServerOptions> configured, List<ConfigError> errors)
    {
        var servers = new List<BackendServer>();
        if (configured.Count == 0)
        {
            errors.Add(new ConfigError($"{Section}:Servers",
                "no server is listed; add your CAS servers (Name, Address), or run with --demo"));
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < configured.Count; i++)
        {
            var key = $"{Section}:Servers:{i}";
            var server = configured[i];
            var ok = true;
            if (!ServerName().IsMatch(server.Name))
            {
                errors.Add(new ConfigError($"{key}:Name",
                    $"'{server.Name}' is not a server name (letters, digits, '.', '-', '_')"));
                ok = false;
            }
            else if (!names.Add(server.Name))
            {
                errors.Add(new ConfigError($"{key}:Name", $"duplicate server name '{server.Name}'"));
                ok = false;
            }

            var address = ParseAddress(server.Address);
            if (address is null)
            {
                errors.Add(new ConfigError($"{key}:Address",
                    $"'{server.Address}' is not a host name, IP address, host:port or https:// URL"));
                ok = false;
            }

            ok &= Require.InRange(server.Weight, 0, MaxWeight, $"{key}:Weight", errors);

            if (ok)
            {
                servers.Add(new BackendServer(server.Name, address!, server.Weight));
            }
        }

        return servers;
    }

    /// <summary>A bare host or host:port means HTTPS, as Exchange serves its virtual directories on 443.</summary>
    internal static Uri? ParseAddress(string text)
    {
        text = text.Trim();
        if (text.Length == 0 || text.Any(char.IsWhiteSpace))
        {
            return null;
        }

        var candidate = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            return null;
        }

        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    private static List<ExchangeService> ResolveServices(
        ExchangeProxyOptions options, List<BackendServer> servers, List<ConfigError> errors)
    {
        foreach (var name in options.Services.Keys)
        {
            if (!ServiceName().IsMatch(name))
            {
                errors.Add(new ConfigError($"{Section}:Services:{name}",
                    "a service name is letters, digits, '.', '-', '_'"));
            }
        }

        var names = ExchangeVirtualDirectories.All.Select(v => v.Name)
            .Concat(options.Services.Keys.Where(k => ExchangeVirtualDirectories.Find(k) is null && ServiceName().IsMatch(k)));
        var services = new List<ExchangeService>();
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            options.Services.TryGetValue(name, out var configured);
            var service = ResolveService(name, configured, options, servers, errors);
            if (service is null)
            {
                continue;
            }

            if (paths.TryGetValue(service.Path, out var other))
            {
                errors.Add(new ConfigError($"{Section}:Services:{name}:Path",
                    $"'{service.Path}' is already the path of service '{other}'"));
                continue;
            }

            paths[service.Path] = name;
            services.Add(service);
        }

        return services;
    }

    private static ExchangeService? ResolveService(
        string name, ServiceOptions? configured, ExchangeProxyOptions options, List<BackendServer> servers, List<ConfigError> errors)
    {
        var key = $"{Section}:Services:{name}";
        configured ??= new ServiceOptions();
        if (configured.Enabled == false)
        {
            return null;
        }

        var errorCount = errors.Count;
        var vdir = ExchangeVirtualDirectories.Find(name);
        var path = configured.Path ?? vdir?.Path;
        if (path is null)
        {
            errors.Add(new ConfigError($"{key}:Path", "required for a service that is not an Exchange virtual directory"));
        }
        else if (!RoutePath().IsMatch(path))
        {
            errors.Add(new ConfigError($"{key}:Path", $"'{path}' is not a path prefix like /owa (no wildcards, query or trailing '/')"));
        }

        var members = ServerListResolution.Resolve(configured.Servers, servers, $"{key}:Servers", errors);

        var activity = configured.ActivityTimeout ?? vdir?.ActivityTimeout ?? ForwarderDefaults.ActivityTimeout;
        Require.Positive(activity, $"{key}:ActivityTimeout", errors);
        var connect = configured.ConnectTimeout ?? DefaultConnectTimeout;
        Require.Positive(connect, $"{key}:ConnectTimeout", errors);

        var maxBody = configured.MaxRequestBodySize ?? vdir?.MaxRequestBodySize ?? ForwarderDefaults.MaxRequestBodySize;
        if (maxBody < 0)
        {
            errors.Add(new ConfigError($"{key}:MaxRequestBodySize", $"{maxBody} is negative; 0 means no limit"));
        }

        var affinity = AffinityResolution.Resolve(name, configured.Affinity, key, errors);
        var check = CheckResolution.Resolve(path ?? "", configured.Check, key, errors);
        var retries = configured.Retries ?? TcpService.DefaultRetries;
        Require.InRange(retries, 0, TcpService.MaxRetries, $"{key}:Retries", errors);

        if (errors.Count > errorCount)
        {
            return null;
        }

        return new ExchangeService(
            name,
            path!,
            configured.Balance ?? BalanceMode.RoundRobin,
            members,
            activity,
            connect,
            maxBody == 0 ? null : maxBody,
            configured.AcceptAnyServerCertificate ?? options.AcceptAnyServerCertificate,
            configured.WindowsAuth ?? vdir?.WindowsAuth ?? false,
            affinity,
            check,
            configured.WhenAllDown ?? WhenAllDown.Refuse,
            retries,
            configured.Redispatch ?? true);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex ServerName();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$")]
    private static partial Regex RoutePath();
}
