using System.Security.Cryptography.X509Certificates;

namespace ExchangeProxy.Health;

/// <summary>
/// What the proxy keeps of a certificate, the listener's or one a CAS server presented to a probe: enough to
/// compare them (Extended Protection) and to warn before one expires.
/// </summary>
public sealed record ObservedCertificate(string Thumbprint, string Subject, DateTimeOffset NotAfter)
{
    public static ObservedCertificate Of(X509Certificate certificate)
    {
        if (certificate is X509Certificate2 full)
        {
            return Of(full);
        }

        using var loaded = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return Of(loaded);
    }

    private static ObservedCertificate Of(X509Certificate2 certificate) =>
        new(certificate.Thumbprint, certificate.Subject, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
}
