namespace ExchangeProxy.Admin;

/// <param name="Layer">"http" for an Exchange service, "tcp" for a layer-4 listener or pool.</param>
/// <param name="Front">The service's path, or the listener's address.</param>
public sealed record StatsSection(
    string Name,
    string Layer,
    string Front,
    IReadOnlyList<StatsRow> Servers,
    StatsRow Total,
    StatsAffinity? Affinity,
    StatsListener? Listener);
