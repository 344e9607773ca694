namespace ExchangeProxy.Statistics;

/// <summary>The client connections of one layer-4 listener: open now, accepted in all, refused.</summary>
#pragma warning disable CA1051 // Visible instance fields: Interlocked needs refs to them.
public sealed class ListenerCounters
{
    public long Active;
    public long Total;
    public long Refused;
}
#pragma warning restore CA1051
