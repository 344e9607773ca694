namespace ExchangeProxy.Health;

/// <param name="Endpoint">The Kestrel endpoint that presents it (<c>Kestrel:Endpoints:&lt;name&gt;</c>).</param>
/// <param name="Path">The file it was read from; null for one given in code.</param>
/// <param name="DnsName">The first DNS name (not a wildcard) it is for.</param>
public sealed record ListenerCertificate(string Endpoint, string? Path, ObservedCertificate Certificate, string? DnsName);
