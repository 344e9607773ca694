using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ExchangeProxy.Http;
using Yarp.ReverseProxy.Configuration;

namespace ExchangeProxy.Configuration;

/// <summary>
/// Everything checkable before the proxy binds a port: the Exchange model, the operator's own YARP routes
/// (with YARP's own validator) and the listener certificates. Used at start and by <c>--check-config</c>.
/// </summary>
public static class ConfigCheck
{
    public static async Task<ConfigLoadResult> RunAsync(IConfiguration configuration, bool checkListenerCertificates)
    {
        var result = ProxyModelLoader.Load(configuration);
        var errors = new List<ConfigError>(result.Errors);
        errors.AddRange(await CheckYarpAsync(configuration, result.Model));

        if (checkListenerCertificates)
        {
            errors.AddRange(CheckListenerCertificates(configuration));
        }

        return errors.Count == 0 ? result : ConfigLoadResult.Failed([.. errors]);
    }

    /// <param name="model">Null when the Exchange model has errors: the operator's own routes are still checked.</param>
    private static async Task<List<ConfigError>> CheckYarpAsync(IConfiguration configuration, ProxyModel? model)
    {
        var errors = new List<ConfigError>();
        var services = new ServiceCollection().AddLogging();
        services.AddReverseProxy().LoadFromConfig(configuration.GetSection("ReverseProxy")).AddExchangePolicies();
        await using var provider = services.BuildServiceProvider();
        var validator = provider.GetRequiredService<IConfigValidator>();

        IProxyConfig custom;
        try
        {
            custom = provider.GetServices<IProxyConfigProvider>().Single().GetConfig();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            errors.Add(new ConfigError("ReverseProxy", e.InnerException?.Message ?? e.Message));
            return errors;
        }

        var generated = model?.Services ?? [];
        var clusterIds = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in custom.Clusters.Concat(generated.Select(s => YarpModel.Cluster(s, model?.ServerCertificateAuthorities))))
        {
            clusterIds.Add(cluster.ClusterId);
            foreach (var error in await validator.ValidateClusterAsync(cluster))
            {
                errors.Add(new ConfigError($"ReverseProxy:Clusters:{cluster.ClusterId}", error.Message));
            }
        }

        foreach (var route in custom.Routes.Concat(generated.Select(YarpModel.Route)))
        {
            foreach (var error in await validator.ValidateRouteAsync(route))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}", error.Message));
            }

            // Without a model, a route to a generated cluster cannot be told from one to a missing cluster.
            if (route.ClusterId is { } clusterId && !clusterIds.Contains(clusterId)
                && (model is not null || !clusterId.StartsWith(YarpModel.IdOf(""), StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(new ConfigError($"ReverseProxy:Routes:{route.RouteId}:ClusterId", $"unknown cluster '{clusterId}'"));
            }
        }

        return errors;
    }

    private static IEnumerable<ConfigError> CheckListenerCertificates(IConfiguration configuration)
    {
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var certificate = endpoint.GetSection("Certificate");
            var path = certificate["Path"];
            if (string.IsNullOrEmpty(path))
            {
                continue;
            }

            var key = $"{certificate.Path}:Path";
            var problem = TryLoad(path, certificate["KeyPath"], certificate["Password"]);
            if (problem is not null)
            {
                yield return new ConfigError(key, problem);
            }
        }
    }

    private static string? TryLoad(string path, string? keyPath, string? password)
    {
        if (!File.Exists(path))
        {
            return $"certificate file '{path}' does not exist";
        }

        try
        {
            using var certificate = keyPath is null ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
                : password is null ? X509Certificate2.CreateFromPemFile(path, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, keyPath);
            return certificate.HasPrivateKey ? null : $"certificate '{path}' has no private key";
        }
        catch (CryptographicException e)
        {
            return $"certificate '{path}' could not be read: {e.Message}";
        }
    }
}
