using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>
/// Wraps YARP's destination health updater, through which YARP's passive health check (transport failures of
/// live traffic) passes its verdicts: for the generated clusters they go to the one health truth,
/// <see cref="Health.HealthStates"/>, for as long as YARP keeps the server out. The operator's own clusters keep
/// YARP's health alone.
/// </summary>
public sealed class PassiveHealthRecorder(IDestinationHealthUpdater inner, Health.HealthStates health) : IDestinationHealthUpdater
{
    public void SetActive(ClusterState cluster, IEnumerable<NewActiveDestinationHealth> newHealthStates) =>
        inner.SetActive(cluster, newHealthStates);

    public void SetPassive(ClusterState cluster, DestinationState destination, DestinationHealth newHealth, TimeSpan reactivationPeriod)
    {
        if (cluster.Model is { } model && YarpModel.ServiceOf(model.Config) is { } service)
        {
            health.SetPassiveDown(service, destination.DestinationId, newHealth == DestinationHealth.Unhealthy ? reactivationPeriod : null);
        }

        inner.SetPassive(cluster, destination, newHealth, reactivationPeriod);
    }

    /// <summary>Wraps the updater registered so far (YARP's own, or a wrapper of it).</summary>
    public static void Decorate(IServiceCollection services) =>
        HealthUpdaterDecoration.Decorate(services, (sp, inner) => new PassiveHealthRecorder(inner, sp.GetRequiredService<Health.HealthStates>()));
}
