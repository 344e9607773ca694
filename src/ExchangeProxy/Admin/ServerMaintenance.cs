namespace ExchangeProxy.Admin;

/// <summary>
/// What the operator said of one server: its state and runtime weight for all services, or per service, and when.
/// Kept in the state file and, with a Redis, shared by every instance: the record with the newest
/// <see cref="Stamp"/> wins, so a record back to ready is kept (not removed) to outrank an older drain.
/// </summary>
public sealed record ServerMaintenance
{
    public AdminState All { get; init; }

    public Dictionary<string, AdminState> Services { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The runtime weight for every service (HAProxy's <c>set weight</c>); null: the configured weight.</summary>
    public int? Weight { get; init; }

    public Dictionary<string, int> Weights { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When the operator made the change, in Unix milliseconds; 0 for a state file written before stamps.</summary>
    public long Stamp { get; init; }

    /// <summary>The same record with case-insensitive service names, as JSON leaves them case-sensitive (or null).</summary>
    public ServerMaintenance Normalized() => this with
    {
        Services = new(Services ?? [], StringComparer.OrdinalIgnoreCase),
        Weights = new(Weights ?? [], StringComparer.OrdinalIgnoreCase),
    };

    public AdminState StateFor(string service) => Services.GetValueOrDefault(service, All);

    public int? WeightFor(string service) => Weights.TryGetValue(service, out var weight) ? weight : Weight;

    /// <summary>A short account for logs and the stats page: "drain", "ready, owa maint", "ready, weight 50".</summary>
    public string Summary()
    {
        var parts = new List<string> { All.ToString().ToLowerInvariant() };
        parts.AddRange(Services.Where(s => s.Value != All).Select(s => $"{s.Key} {s.Value.ToString().ToLowerInvariant()}"));
        if (Weight is { } weight)
        {
            parts.Add($"weight {weight}");
        }

        parts.AddRange(Weights.Select(w => $"{w.Key} weight {w.Value}"));
        return string.Join(", ", parts);
    }
}
