namespace ExchangeProxy.Balancing;

/// <summary>One client of a stick table: its server, and how long the entry has left unless the client comes back.</summary>
public readonly record struct StickEntry(ClientKey Key, string Server, TimeSpan Remaining);
