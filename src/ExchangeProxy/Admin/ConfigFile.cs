namespace ExchangeProxy.Admin;

/// <summary>The configuration file the proxy runs from, as the stats page names it.</summary>
public sealed record ConfigFile(string Path);
