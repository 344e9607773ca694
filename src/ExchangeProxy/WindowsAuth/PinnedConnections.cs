using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ExchangeProxy.Hosting;

namespace ExchangeProxy.WindowsAuth;

/// <summary>Every pinned client connection: counted for the stats page and metrics, closed when its server goes down.</summary>
public sealed partial class PinnedConnections
{
    public const string InstrumentName = "windows_auth.pinned_connections";

    private readonly ConcurrentDictionary<PinnedBackend, byte> _pins = new();
    private readonly ILogger<PinnedConnections> _logger;

    public PinnedConnections(IMeterFactory meters, ILogger<PinnedConnections> logger)
    {
        _logger = logger;
        // The factory owns the meter and disposes it with the host.
        meters.Create(ProxyMetrics.MeterName).CreateObservableUpDownCounter(InstrumentName, Observe, unit: "{connection}",
            description: "Client connections pinned to their own server connection for NTLM or Negotiate");
    }

    public int Count => _pins.Count;

    /// <summary>Pinned connections per server (destination id; "-" before the first request has gone through).</summary>
    public IReadOnlyDictionary<string, int> CountByServer() =>
        _pins.Keys.GroupBy(p => p.Server ?? "-", StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);

    /// <summary>Closes the client connections pinned to <paramref name="address"/> through <paramref name="clusterId"/>.</summary>
    public int CloseTo(string clusterId, string address)
    {
        var closed = 0;
        foreach (var pin in _pins.Keys)
        {
            if (pin.ClusterId == clusterId && string.Equals(pin.Address, address, StringComparison.OrdinalIgnoreCase))
            {
                pin.Close();
                closed++;
            }
        }

        if (closed > 0)
        {
            LogClosedForHealth(_logger, closed, clusterId, address);
        }

        return closed;
    }

    /// <summary>Closes the client connections pinned to <paramref name="server"/>, through one cluster or all; returns how many.</summary>
    public int CloseServer(string server, string? clusterId)
    {
        var closed = 0;
        foreach (var pin in _pins.Keys)
        {
            if (string.Equals(pin.Server, server, StringComparison.OrdinalIgnoreCase) && (clusterId is null || pin.ClusterId == clusterId))
            {
                pin.Close();
                closed++;
            }
        }

        return closed;
    }

    internal void Add(PinnedBackend pin)
    {
        _pins.TryAdd(pin, 0);
        LogPinned(_logger, pin.ClientConnectionId, pin.ClusterId);
    }

    internal void Remove(PinnedBackend pin) => _pins.TryRemove(pin, out _);

    internal void LostServerConnection(PinnedBackend pin) =>
        LogLost(_logger, pin.ClientConnectionId, pin.Server ?? "-");

    private IEnumerable<Measurement<int>> Observe() =>
        CountByServer().Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>("server", s.Key)));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Client connection {ConnectionId} pinned to its own server connection ({Cluster})")]
    private static partial void LogPinned(ILogger logger, string connectionId, string cluster);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client connection {ConnectionId}: {Server} closed its pinned connection; closing the client connection after this response so it signs in again")]
    private static partial void LogLost(ILogger logger, string connectionId, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing {Count} pinned client connections: {Address} is down for {Cluster}")]
    private static partial void LogClosedForHealth(ILogger logger, int count, string cluster, string address);
}
