namespace ExchangeProxy.Import;

/// <summary>A section of an HAProxy file (global, defaults, frontend, backend, listen, peers, userlist, ...) and its lines.</summary>
public sealed record HaproxySection(string Kind, string Name, HaproxyLine Header, IReadOnlyList<HaproxyLine> Lines);
