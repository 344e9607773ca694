using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.Server.Kestrel;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Primitives;

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
        services.TryAddSingleton<SharedMaintenance>();
        services.TryAddSingleton<StatsCollector>();
        services.TryAddSingleton<PrometheusMetrics>();
        return services;
    }

    /// <summary>The admin listener, wherever the accepted configuration puts it.</summary>
    public static KestrelConfigurationLoader DeclareAdminEndpoint(this KestrelConfigurationLoader loader, IServiceProvider services)
    {
        AdminListener.Declare(loader, services);
        return loader;
    }

    /// <summary>
    /// Opens the state file (and the one a reload names), shares it through the configured Redis, starts the metrics (so the first scrape has every instrument) and the stats clock,
    /// and sends the admin listener's requests to the admin branch, never to the proxy.
    /// </summary>
    public static WebApplication UseAdmin(this WebApplication app)
    {
        var configPath = app.Services.GetRequiredService<ConfigFile>().Path;
        var models = app.Services.GetRequiredService<ProxyModelStore>();
        var maintenance = app.Services.GetRequiredService<MaintenanceStates>();
        string StateFile() => models.Current.Admin.StateFile
            ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, AdminSettings.StateFileName);
        maintenance.Open(StateFile());
        // A state file moved by a reload is read, and written from then on.
        ChangeToken.OnChange(() => models.ChangeToken, () =>
        {
            if (StateFile() != maintenance.Path)
            {
                maintenance.Open(StateFile());
            }
        });
        app.Services.GetRequiredService<SharedMaintenance>().Follow(models);
        app.Services.GetRequiredService<PrometheusMetrics>();
        app.Lifetime.ApplicationStarted.Register(app.Services.GetRequiredService<StatsCollector>().MarkStarted);
        AdminListener.Branch(app);
        return app;
    }
}
