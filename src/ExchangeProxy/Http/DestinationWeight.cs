using System.Globalization;
using ExchangeProxy.Admin;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>A server's weight travels to the balancing policies as destination metadata.</summary>
public static class DestinationWeight
{
    public const string MetadataKey = "ExchangeProxy.Weight";

    /// <summary>Destinations without the key (routes written in YARP's own schema) weigh 1.</summary>
    public static int Of(DestinationState destination) =>
        destination.Model.Config.Metadata is { } metadata
        && metadata.TryGetValue(MetadataKey, out var text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var weight)
            ? weight
            : 1;

    /// <summary>How the balancers weigh a cluster's destinations: by the operator's runtime weights when any is set.</summary>
    public static Func<DestinationState, int> In(ClusterState cluster, MaintenanceStates maintenance) =>
        maintenance.HasWeights && YarpModel.ServiceOf(cluster.Model.Config) is { } service
            ? destination => maintenance.WeightOf(service, destination.DestinationId, Of(destination))
            : Of;
}
