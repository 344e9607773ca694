namespace ExchangeProxy.Configuration;

/// <summary>The validated model the proxy starts from, kept current by every accepted reload.</summary>
public static class ConfigurationExtensions
{
    /// <param name="configuration">The live configuration, whose every change is checked.</param>
    /// <param name="checkListenerCertificates">False for the demo, which presents a certificate of its own.</param>
    public static IServiceCollection AddProxyModel(this IServiceCollection services, ProxyModel model, AcceptedConfiguration accepted,
        IConfiguration configuration, bool checkListenerCertificates)
    {
        services.AddSingleton(sp => new ProxyModelStore(model, accepted, configuration, checkListenerCertificates,
            sp.GetRequiredService<ILogger<ProxyModelStore>>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
