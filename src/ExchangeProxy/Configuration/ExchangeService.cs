namespace ExchangeProxy.Configuration;

/// <summary>An Exchange virtual directory (or the operator's own path) forwarded at layer 7, with every default resolved.</summary>
/// <param name="MaxRequestBodySize">Bytes, or null for no limit.</param>
/// <param name="Affinity">The stick table that keeps a client on one server, or null for none.</param>
/// <param name="Retries">Further attempts after a failed connect, as layer 4's (see <see cref="ServiceOptions.Retries"/>).</param>
/// <param name="WindowsAuth">NTLM/Negotiate challenges pin the client connection (see WindowsAuth/).</param>
public sealed record ExchangeService(
    string Name,
    string Path,
    BalanceMode Balance,
    IReadOnlyList<BackendServer> Servers,
    TimeSpan ActivityTimeout,
    TimeSpan ConnectTimeout,
    long? MaxRequestBodySize,
    bool AcceptAnyServerCertificate,
    bool WindowsAuth,
    StickTableSettings? Affinity,
    CheckSettings Check,
    WhenAllDown WhenAllDown,
    int Retries = TcpService.DefaultRetries,
    bool Redispatch = true) : IServerPool
{
    /// <summary>Each server on its own address's port.</summary>
    public int? ServerPort => null;

    public bool IsHttp => true;
}
