namespace ExchangeProxy.Import;

/// <summary>
/// HAProxy's <c>crt</c> as Kestrel's <c>Certificate</c>. HAProxy reads a PEM holding the certificate and its key
/// together (or the key beside it as <c>.key</c>); Kestrel reads PEM with <c>Path</c> and <c>KeyPath</c>, which may name
/// the same combined file. A directory holds one certificate per file; Kestrel presents one per listener.
/// </summary>
public static class CertificateFiles
{
    public static (string Path, string KeyPath) Resolve(string crt, HaproxyLine line, ImportContext context)
    {
        var report = context.Report;
        var path = context.PathOf(crt, context.CertificateBase);
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path).Where(f => !f.EndsWith(".key", StringComparison.Ordinal) && !f.EndsWith(".ocsp", StringComparison.Ordinal)
                && !f.EndsWith(".issuer", StringComparison.Ordinal) && !f.EndsWith(".sctl", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                report.NotSupported(line, $"crt {crt}: the directory holds no certificate");
                return (path, path);
            }

            path = files[0];
            report.Approximated(line, files.Count == 1
                ? $"crt {crt}: the one certificate in the directory, {path}"
                : $"crt {crt}: Kestrel presents one certificate per listener: {path}, the first of {files.Count}; Exchange's namespace certificate carries every name");
        }

        var text = File.Exists(path) ? File.ReadAllText(path) : null;
        if (text is not null && text.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            report.NotSupported(line, $"crt {crt}: the key is encrypted; add its passphrase as Certificate:Password");
        }

        if (text is null || text.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            report.Mapped(line, "a PEM with certificate and key together: Certificate Path and KeyPath both name it");
            return (path, path);
        }

        foreach (var key in new[] { path + ".key", Path.ChangeExtension(path, ".key") })
        {
            if (File.Exists(key))
            {
                report.Mapped(line, $"the key beside the certificate: Certificate KeyPath {key}");
                return (path, key);
            }
        }

        report.NotSupported(line, $"crt {crt}: no private key in the file or beside it as .key");
        return (path, path);
    }
}
