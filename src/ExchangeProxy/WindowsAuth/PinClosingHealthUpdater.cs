using ExchangeProxy.Health;
using ExchangeProxy.Http;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// Closes the client connections pinned to a server that went down: for the generated clusters when
/// <see cref="HealthStates"/> says so (probes or live traffic), for the operator's own clusters when YARP's
/// health checks, which they may enable, do.
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
        // The generated clusters' pins follow HealthStates (see Follow).
        if (destination.Model is { } model && (cluster.Model is null || YarpModel.ServiceOf(cluster.Model.Config) is null))
        {
            pins.CloseTo(cluster.ClusterId, model.Config.Address);
        }
    }

    /// <summary>Wraps the updater AddReverseProxy registered, however it was registered.</summary>
    public static void Decorate(IServiceCollection services)
    {
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IDestinationHealthUpdater))
            ?? throw new InvalidOperationException("AddReverseProxy registered no IDestinationHealthUpdater");
        services.Remove(registered);
        services.AddSingleton<IDestinationHealthUpdater>(sp => new PinClosingHealthUpdater(
            (IDestinationHealthUpdater)(registered.ImplementationInstance
                ?? registered.ImplementationFactory?.Invoke(sp)
                ?? ActivatorUtilities.CreateInstance(sp, registered.ImplementationType
                    ?? throw new InvalidOperationException($"IDestinationHealthUpdater is registered as {registered}, which cannot be wrapped"))),
            sp.GetRequiredService<PinnedConnections>()));
    }

    /// <summary>Closes the pins to a server of a generated cluster as soon as the one health truth takes it out.</summary>
    public static void Follow(IServiceProvider services)
    {
        var pins = services.GetRequiredService<PinnedConnections>();
        var time = services.GetRequiredService<TimeProvider>();
        services.GetRequiredService<HealthStates>().Changed += status =>
        {
            if (status.State == ProbeState.Down || status.IsPassiveDown(time.GetUtcNow()))
            {
                pins.CloseTo(YarpModel.IdOf(status.Service), status.Address.AbsoluteUri);
            }
        };
    }
}
