using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// Wraps YARP's destination health updater, through which every health verdict passes (active probes and
/// passive failures alike), and closes the client connections pinned to a server that turned unhealthy.
/// </summary>
public sealed class PinClosingHealthUpdater(IDestinationHealthUpdater inner, PinnedConnections pins) : IDestinationHealthUpdater
{
    public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates)
    {
        var pairs = newHealthStates.ToList();
        inner.SetActive(cluster, pairs);
        foreach (var pair in pairs)
        {
            if (pair.NewActiveHealth == DestinationHealth.Unhealthy)
            {
                CloseTo(cluster, pair.Destination);
            }
        }
    }

    public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
    {
        inner.SetPassive(cluster, destination, newHealth, reactivationPeriod);
        if (newHealth == DestinationHealth.Unhealthy)
        {
            CloseTo(cluster, destination);
        }
    }

    private void CloseTo(ClusterState cluster, DestinationState destination)
    {
        if (destination.Model is { } model)
        {
            pins.CloseTo(cluster.ClusterId, model.Config.Address);
        }
    }

    /// <summary>Puts the wrapper in front of the updater AddReverseProxy registered.</summary>
    public static void Decorate(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IDestinationHealthUpdater))
            ?? throw new InvalidOperationException("AddReverseProxy registered no IDestinationHealthUpdater");
        var implementation = registered.ImplementationType
            ?? throw new InvalidOperationException($"IDestinationHealthUpdater is registered as {registered}, not as a type to wrap");
        services.Remove(registered);
        services.AddSingleton<IDestinationHealthUpdater>(sp => new PinClosingHealthUpdater(
            (IDestinationHealthUpdater)ActivatorUtilities.CreateInstance(sp, implementation),
            sp.GetRequiredService<PinnedConnections>()));
    }
}
