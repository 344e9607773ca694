using System.Security.Cryptography.X509Certificates;
using ExchangeProxy.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>A self-signed certificate written to disk as PFX and as PEM, as an operator would provide it.</summary>
public sealed class TestCertificate : IDisposable
{
    public const string Password = "test-password";

    /// <param name="expiresIn">How long it stays valid from now; a year by default.</param>
    public TestCertificate(string commonName = "mail.contoso.test", TimeSpan? expiresIn = null)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("exproxy-cert-").FullName;
        // SelfSignedCertificate makes a certificate valid for a year from its clock's now: issued a year before it should expire.
        var now = DateTimeOffset.UtcNow;
        Certificate = SelfSignedCertificate.Create(commonName, new FakeTimeProvider(expiresIn is { } left ? (now + left).AddYears(-1) : now));
        PfxPath = Path.Combine(Directory, "mail.pfx");
        File.WriteAllBytes(PfxPath, Certificate.Export(X509ContentType.Pfx, Password));
        PemPath = Path.Combine(Directory, "mail.crt");
        PemKeyPath = Path.Combine(Directory, "mail.key");
        File.WriteAllText(PemPath, Certificate.ExportCertificatePem());
        using var key = Certificate.GetRSAPrivateKey()!;
        File.WriteAllText(PemKeyPath, key.ExportPkcs8PrivateKeyPem());
    }

    public X509Certificate2 Certificate { get; }

    public string Directory { get; }

    public string PfxPath { get; }

    public string PemPath { get; }

    public string PemKeyPath { get; }

    public void Dispose()
    {
        Certificate.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
