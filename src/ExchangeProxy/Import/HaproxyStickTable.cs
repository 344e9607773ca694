namespace ExchangeProxy.Import;

/// <summary>A <c>stick-table</c> line: what the proxy keeps of it is its size, its expiry and whether it is shared by peers.</summary>
public sealed record HaproxyStickTable(string Type, int? Size, TimeSpan? Expire, string? Peers, HaproxyLine Line);
