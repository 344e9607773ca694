using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeProxy.Admin;

/// <summary>The admin listener and what it serves: maintenance states, the stats page and its data, metrics.</summary>
public static class AdminExtensions
{
    /// <summary>The operator's drain/maint/ready, which server choice reads (the configuration check needs no more).</summary>
    public static IServiceCollection AddMaintenanceStates(this IServiceCollection services)
    {
        services.TryAddSingleton<MaintenanceStates>();
        return services;
    }

    /// <param name="configPath">The configuration file, as the stats page names it; the state file's default folder.</param>
    public static IServiceCollection AddAdmin(this IServiceCollection services, string configPath)
    {
        services.AddMaintenanceStates();
        services.TryAddSingleton(new ConfigFile(configPath));
        services.TryAddSingleton<StatsCollector>();
        services.TryAddSingleton<PrometheusMetrics>();
        return services;
    }

    public static KestrelServerOptions ListenAdmin(this KestrelServerOptions kestrel, ProxyModel model)
    {
        if (model.Admin.Url is { } url)
        {
            AdminListener.Listen(kestrel, url);
        }

        return kestrel;
    }

    /// <summary>
    /// Opens the state file, starts the metrics (so the first scrape has every instrument) and the stats clock,
    /// and sends the admin listener's requests to the admin branch, never to the proxy.
    /// </summary>
    public static WebApplication UseAdmin(this WebApplication app, ProxyModel model)
    {
        var configPath = app.Services.GetRequiredService<ConfigFile>().Path;
        app.Services.GetRequiredService<MaintenanceStates>().Open(
            model.Admin.StateFile ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, AdminSettings.StateFileName));
        app.Services.GetRequiredService<PrometheusMetrics>();
        app.Lifetime.ApplicationStarted.Register(app.Services.GetRequiredService<StatsCollector>().MarkStarted);
        AdminListener.Branch(app);
        return app;
    }
}
