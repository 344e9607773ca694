using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeProxy.Health;

/// <summary>
/// The thumbprints of the certificates the layer-7 listeners present, for the Extended Protection check:
/// Exchange compares the channel binding of the certificate the client saw with its own, so the proxy must
/// present the certificate Exchange uses.
/// </summary>
/// <param name="dnsName">The first DNS name (not a wildcard) the listener's certificate is for: the namespace clients use.</param>
public sealed class ListenerCertificates(IReadOnlySet<string> thumbprints, string? dnsName = null)
{
    public IReadOnlySet<string> Thumbprints { get; } = thumbprints;

    public string? DnsName { get; } = dnsName;

    /// <summary>From Kestrel:Endpoints:*:Certificate (PFX, or PEM certificate files), and any given in code (the demo's).</summary>
    public static ListenerCertificates From(IConfiguration configuration, IEnumerable<X509Certificate2> inCode)
    {
        var thumbprints = new HashSet<string>(inCode.Select(c => c.Thumbprint), StringComparer.OrdinalIgnoreCase);
        string? dnsName = null;
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            var certificate = endpoint.GetSection("Certificate");
            if (certificate["Path"] is not { Length: > 0 } path || !File.Exists(path))
            {
                continue;
            }

            try
            {
                using var loaded = certificate["KeyPath"] is null
                    ? X509CertificateLoader.LoadPkcs12FromFile(path, certificate["Password"])
                    : X509CertificateLoader.LoadCertificateFromFile(path);
                thumbprints.Add(loaded.Thumbprint);
                dnsName ??= DnsNameOf(loaded);
            }
            catch (CryptographicException)
            {
                // ConfigCheck reports an unreadable certificate at start; nothing to compare with here.
            }
        }

        return new ListenerCertificates(thumbprints, dnsName);
    }

    private static string? DnsNameOf(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())
            .Append(certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false))
            .FirstOrDefault(name => !string.IsNullOrEmpty(name) && !name.Contains('*', StringComparison.Ordinal));

    /// <summary>Why a server breaks Extended Protection, or null when it does not (or it cannot be told yet).</summary>
    public string? MismatchOf(Uri server, string? serverThumbprint) =>
        server.Scheme == Uri.UriSchemeHttp ? "plain HTTP to the server: Extended Protection (Windows auth) cannot work"
        : serverThumbprint is null || Thumbprints.Count == 0 || Thumbprints.Contains(serverThumbprint) ? null
        : $"the server presents certificate {serverThumbprint}, the listener {string.Join(" / ", Thumbprints)}: Extended Protection needs the same one";
}
