namespace ExchangeProxy.Admin;

/// <summary>One proxy instance sharing maintenance through Redis, as it last wrote what it applies.</summary>
/// <param name="Servers">Each server's state as that instance applies it ("drain", "ready, weight 50").</param>
/// <param name="Agrees">It applies the same decisions as this instance.</param>
public sealed record InstanceView(string Name, bool Self, double SeenSecondsAgo, IReadOnlyDictionary<string, string> Servers, bool Agrees);
