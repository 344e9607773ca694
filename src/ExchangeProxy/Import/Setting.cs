namespace ExchangeProxy.Import;

/// <summary>A value read from the HAProxy file with the line it came from, so what becomes of it is reported on that line.</summary>
public sealed record Setting<T>(T Value, HaproxyLine Line);
