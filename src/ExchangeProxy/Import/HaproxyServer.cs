namespace ExchangeProxy.Import;

/// <summary>A <c>server</c> line: its name, address (null when it has no TCP equivalent) and options over the default-server's.</summary>
public sealed record HaproxyServer(string Name, HaproxyEndpoint? Endpoint, HaproxyServerOptions Options, HaproxyLine Line)
{
    /// <summary>Takes live traffic: not a backup and not started in maintenance.</summary>
    public bool Serves => Endpoint is not null && Options.Backup != true && Options.Disabled != true;
}
