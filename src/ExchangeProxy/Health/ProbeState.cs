namespace ExchangeProxy.Health;

/// <summary>What the probes say of one server for one service.</summary>
public enum ProbeState
{
    /// <summary>Not probed yet (or the service's check is None): counts as up.</summary>
    Unknown,
    Up,
    Down,
}
