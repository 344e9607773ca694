using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// An internal PKI in small: a root authority, written to disk as PEM as an operator would hand it to the
/// proxy, that issues the namespace certificate every CAS server presents (mail.contoso.test and
/// autodiscover.contoso.test), as Exchange deployments have it.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public TestCertificateAuthority(string name = "Contoso Test Root CA")
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        Directory = System.IO.Directory.CreateTempSubdirectory("exproxy-ca-").FullName;
        PemPath = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(PemPath, Certificate.ExportCertificatePem());
    }

    public X509Certificate2 Certificate { get; }

    public string Directory { get; }

    /// <summary>The root certificate as PEM, for ExchangeProxy:ServerCertificateAuthority.</summary>
    public string PemPath { get; }

    /// <summary>A server certificate with its private key, for these DNS names only (never for the address a server is listed by).</summary>
    public X509Certificate2 Issue(params string[] dnsNames)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsNames[0]}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        using var issued = request.Create(Certificate, now.AddDays(-1), now.AddYears(1), RandomNumberGenerator.GetBytes(16));
        // Kestrel on Linux wants a certificate whose key it can use: round-trip through PFX.
        using var withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }

    public static readonly IPAddress[] CasAddresses = [IPAddress.Parse("127.0.0.31"), IPAddress.Parse("127.0.0.32")];

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
