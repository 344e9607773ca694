namespace ExchangeProxy.Configuration;

/// <summary>The validated model the proxy starts from, kept current by every accepted reload.</summary>
public static class ConfigurationExtensions
{
    public static IServiceCollection AddProxyModel(this IServiceCollection services, ProxyModel model, IConfiguration configuration)
    {
        services.AddSingleton(sp => new ProxyModelStore(
            model, configuration, sp.GetRequiredService<ILogger<ProxyModelStore>>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
