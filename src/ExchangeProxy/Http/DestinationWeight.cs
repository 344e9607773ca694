using System.Globalization;
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
}
