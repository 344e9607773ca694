using System.Net.Security;

namespace ExchangeProxy.Configuration;

/// <summary>
/// How the proxy speaks TLS to a CAS server, as a client reaching Exchange directly would: it asks for and
/// validates <paramref name="Name"/> (the namespace, even when the server is listed by IP), against the
/// configured authorities or the system's, unless the operator accepts any certificate.
/// </summary>
public sealed record ServerTls(string Name, bool AcceptAnyCertificate, CertificateAuthorities? Authorities)
{
    public SslClientAuthenticationOptions ClientOptions()
    {
        var options = new SslClientAuthenticationOptions { TargetHost = Name };
        if (AcceptAnyCertificate)
        {
            AcceptAny(options);
        }
        else if (Authorities is not null)
        {
            options.CertificateChainPolicy = Authorities.ChainPolicy();
        }

        return options;
    }

    // Only where the operator set AcceptAnyServerCertificate, as the proxy's own traffic does.
#pragma warning disable CA5359
    private static void AcceptAny(SslClientAuthenticationOptions options) => options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
}
