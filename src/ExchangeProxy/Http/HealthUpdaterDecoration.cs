using Yarp.ReverseProxy.Health;

namespace ExchangeProxy.Http;

/// <summary>Wraps YARP's destination health updater, however it was registered, so that more than one concern can watch its verdicts.</summary>
public static class HealthUpdaterDecoration
{
    public static void Decorate(IServiceCollection services, Func<IServiceProvider, IDestinationHealthUpdater, IDestinationHealthUpdater> wrap)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IDestinationHealthUpdater))
            ?? throw new InvalidOperationException("AddReverseProxy registered no IDestinationHealthUpdater");
        services.Remove(registered);
        services.AddSingleton(sp => wrap(sp, Create(sp, registered)));
    }

    private static IDestinationHealthUpdater Create(IServiceProvider services, ServiceDescriptor registered) =>
        (IDestinationHealthUpdater)(registered.ImplementationInstance
            ?? registered.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, registered.ImplementationType
                ?? throw new InvalidOperationException($"IDestinationHealthUpdater is registered as {registered}, which cannot be wrapped")));
}
