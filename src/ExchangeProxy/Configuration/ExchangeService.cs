namespace ExchangeProxy.Configuration;

/// <param name="MaxRequestBodySize">Bytes, or null for no limit.</param>
/// <param name="Affinity">The stick table that keeps a client on one server, or null for none.</param>
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
    WhenAllDown WhenAllDown);
