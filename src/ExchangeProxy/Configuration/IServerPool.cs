namespace ExchangeProxy.Configuration;

/// <summary>
/// Servers probed and kept in or out together: an Exchange service (layer 7) or a layer-4 pool. Health and
/// maintenance are per server per pool.
/// </summary>
public interface IServerPool
{
    string Name { get; }

    IReadOnlyList<BackendServer> Servers { get; }

    CheckSettings Check { get; }

    bool AcceptAnyServerCertificate { get; }

    /// <summary>The port the pool reaches its servers on; null: the port of each server's address.</summary>
    int? ServerPort { get; }

    /// <summary>An Exchange service forwarded at layer 7, rather than a layer-4 pool.</summary>
    bool IsHttp { get; }
}
