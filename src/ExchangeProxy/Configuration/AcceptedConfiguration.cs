namespace ExchangeProxy.Configuration;

/// <summary>
/// The configuration as last accepted: what Kestrel's endpoints and certificates and YARP's own routes are fed
/// from, instead of the live file, so that an edit that fails validation changes nothing at all. It is the
/// live configuration's keys and values copied whole at each accepted reload, plus the endpoints of the
/// proxy's own listeners (<see cref="ProxyEndpoints"/>).
/// </summary>
public sealed class AcceptedConfiguration
{
    private readonly SnapshotProvider _provider;
    private readonly bool _keepOperatorEndpoints;
    private IReadOnlyDictionary<string, string?> _live;

    /// <param name="keepOperatorEndpoints">False for the demo, which binds its own listener instead of the operator's.</param>
    public AcceptedConfiguration(IConfiguration live, ProxyModel model, bool keepOperatorEndpoints)
    {
        _keepOperatorEndpoints = keepOperatorEndpoints;
        _live = Flatten(live);
        _provider = new SnapshotProvider(Compose(_live, model));
        Root = new ConfigurationRoot([_provider]);
    }

    public IConfigurationRoot Root { get; }

    /// <summary>Whether the live configuration still holds what was accepted last (file watchers fire several times per save).</summary>
    public bool Holds(IReadOnlyDictionary<string, string?> live) =>
        live.Count == _live.Count && live.All(pair => _live.TryGetValue(pair.Key, out var value) && value == pair.Value);

    /// <summary>
    /// The keys <paramref name="live"/> changes that are read only at start: Kestrel's settings other than its
    /// endpoints and certificates (limits, for one), and Serilog's.
    /// </summary>
    public IReadOnlyList<string> ChangedUntilRestart(IReadOnlyDictionary<string, string?> live) =>
        [.. live.Keys.Union(_live.Keys, StringComparer.OrdinalIgnoreCase)
            .Where(ReadAtStartOnly)
            .Where(key => live.GetValueOrDefault(key) != _live.GetValueOrDefault(key))
            .Order(StringComparer.OrdinalIgnoreCase)];

    private static bool ReadAtStartOnly(string key) =>
        key.StartsWith("Serilog:", StringComparison.OrdinalIgnoreCase)
        || (key.StartsWith("Kestrel:", StringComparison.OrdinalIgnoreCase)
            && !key.StartsWith("Kestrel:Endpoints:", StringComparison.OrdinalIgnoreCase)
            && !key.StartsWith("Kestrel:Certificates:", StringComparison.OrdinalIgnoreCase));

    /// <summary>Every key and value, flattened as the configuration system keeps them.</summary>
    public static Dictionary<string, string?> Flatten(IConfiguration configuration) =>
        configuration.AsEnumerable().Where(pair => pair.Value is not null).ToDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Accepts <paramref name="live"/>: Kestrel and YARP, which watch <see cref="Root"/>, reload from it.</summary>
    public void Accept(IReadOnlyDictionary<string, string?> live, ProxyModel model)
    {
        _live = live;
        _provider.Replace(Compose(live, model));
    }

    private Dictionary<string, string?> Compose(IReadOnlyDictionary<string, string?> live, ProxyModel model)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in live)
        {
            if (_keepOperatorEndpoints || !key.StartsWith("Kestrel:Endpoints:", StringComparison.OrdinalIgnoreCase))
            {
                data[key] = value;
            }
        }

        foreach (var (key, value) in ProxyEndpoints.For(model))
        {
            data[key] = value;
        }

        return data;
    }

    private sealed class SnapshotProvider : ConfigurationProvider
    {
        public SnapshotProvider(Dictionary<string, string?> data) => Data = data;

        public void Replace(Dictionary<string, string?> data)
        {
            Data = data;
            OnReload();
        }
    }
}
