using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeProxy.Configuration;

/// <summary>
/// The certificate authorities the CAS servers' certificates are checked against, instead of the system's
/// (HAProxy's <c>ca-file</c>): an internal PKI's root, which a container image does not carry.
/// </summary>
public sealed record CertificateAuthorities(string Path, X509Certificate2Collection Certificates)
{
    /// <summary>Reads the PEM file; null with the reason when it holds no certificate or cannot be read.</summary>
    public static CertificateAuthorities? Load(string path, out string? problem)
    {
        problem = null;
        if (!File.Exists(path))
        {
            problem = $"certificate authority file '{path}' does not exist";
            return null;
        }

        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            if (certificates.Count > 0)
            {
                return new CertificateAuthorities(path, certificates);
            }

            problem = $"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
        }
        catch (CryptographicException e)
        {
            problem = $"'{path}' could not be read: {e.Message}";
        }

        return null;
    }

    /// <summary>Chains end at these authorities only. No revocation check, as HAProxy without <c>crl-file</c>.</summary>
    public X509ChainPolicy ChainPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(Certificates);
        return policy;
    }
}
