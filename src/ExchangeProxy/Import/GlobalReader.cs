using System.Globalization;

namespace ExchangeProxy.Import;

/// <summary>The <c>global</c> section: process limits and TLS defaults that have an equivalent, and how the rest is handled.</summary>
public static class GlobalReader
{
    public static void Read(HaproxySection section, ImportContext context)
    {
        var report = context.Report;
        report.Mapped(section.Header, "ExchangeProxy's process-wide settings");
        foreach (var line in section.Lines)
        {
            var keyword = line.Words[0];
            switch (keyword)
            {
                case "maxconn":
                    if (!int.TryParse(line.Word(1), NumberStyles.None, CultureInfo.InvariantCulture, out var maxconn) || maxconn < 1)
                    {
                        throw new HaproxyImportException(line.Number, $"'maxconn' expects a positive whole number, not '{line.Word(1)}'");
                    }

                    context.Globals["MaxConnections"] = maxconn;
                    report.Mapped(line, $"MaxConnections {maxconn} (client connections on every public listener together)");
                    break;
                case "hard-stop-after":
                    var grace = HaproxyDuration.Parse(line.Word(1), line);
                    context.Globals["ShutdownGracePeriod"] = HaproxyDuration.Format(grace);
                    report.Mapped(line, $"ShutdownGracePeriod {HaproxyDuration.Format(grace)}");
                    break;
                case "ssl-server-verify":
                    if (line.Word(1) == "none")
                    {
                        context.Globals["AcceptAnyServerCertificate"] = true;
                        report.Mapped(line, "AcceptAnyServerCertificate (lab use; better: ServerCertificateAuthority)");
                    }
                    else
                    {
                        report.Mapped(line, "the CAS servers' certificates are checked (the default)");
                    }

                    break;
                case "crt-base":
                    context.CertificateBase = line.Word(1);
                    report.Mapped(line, "relative crt paths are read from it");
                    break;
                case "ca-base":
                    context.CaBase = line.Word(1);
                    report.Mapped(line, "relative ca-file paths are read from it");
                    break;
                case "ssl-default-bind-options":
                    SslOptions(line, context);
                    break;
                case "log":
                    report.Approximated(line, "the proxy logs one line per request or connection to standard output (JSON in containers): ship it with your log collector");
                    break;
                case "daemon" or "master-worker" or "chroot" or "user" or "group" or "uid" or "gid" or "pidfile" or "setenv" or "presetenv" or "resetenv" or "unsetenv":
                    report.Approximated(line, "the process is run by systemd (deploy/systemd) or as a container, as a dedicated non-root user");
                    break;
                case "nbthread" or "nbproc" or "cpu-map" or "thread-groups" or "numa-cpu-mapping":
                    report.Approximated(line, "the .NET thread pool sizes itself to the cores");
                    break;
                case "ulimit-n" or "fd-hard-limit":
                    report.Approximated(line, "the open-file limit is the service's (LimitNOFILE); MaxConnections is derived from it");
                    break;
                case "stats":
                    report.Approximated(line, line.Word(1) == "socket"
                        ? "the admin API (HTTP) drains, puts in maintenance and readies servers (README, Maintenance)"
                        : "no effect");
                    break;
                case "spread-checks":
                    report.Approximated(line, "each server's probes run on their own timers");
                    break;
                case "node" or "description" or "expose-experimental-directives" or "insecure-fork-wanted" or "set-dumpable" or "localpeer" or "quiet" or "zero-warning":
                    report.Mapped(line, "no effect on traffic");
                    break;
                case "server-state-file" or "server-state-base":
                    report.Approximated(line, "drain and maintenance states are kept in Admin:StateFile");
                    break;
                default:
                    if (keyword.StartsWith("tune.", StringComparison.Ordinal))
                    {
                        report.Approximated(line, "Kestrel and .NET size their own buffers");
                    }
                    else if (keyword.StartsWith("ssl-", StringComparison.Ordinal))
                    {
                        report.Approximated(line, "TLS follows Kestrel's and the system's policy (OpenSSL); Kestrel:Endpoints:<name>:SslProtocols sets the versions");
                    }
                    else
                    {
                        report.NotSupported(line, $"'{keyword}' is not a global keyword the importer knows");
                    }

                    break;
            }
        }
    }

    private static void SslOptions(HaproxyLine line, ImportContext context)
    {
        var words = line.Words.Skip(1).ToList();
        var minimum = words.IndexOf("ssl-min-ver") is var at and >= 0 && at + 1 < words.Count ? words[at + 1]
            : words.Contains("no-tlsv10") && words.Contains("no-tlsv11") ? words.Contains("no-tlsv12") ? "TLSv1.3" : "TLSv1.2"
            : null;
        if (minimum is "TLSv1.2" or "TLSv1.3")
        {
            context.MinimumTls = new Setting<string>(minimum, line);
            var others = words.Where(w => w is not ("ssl-min-ver" or "TLSv1.2" or "TLSv1.3" or "no-sslv3" or "no-tlsv10" or "no-tlsv11" or "no-tlsv12")).ToList();
            if (others.Count > 0)
            {
                context.Report.Approximated(line, $"{string.Join(' ', others)}: TLS follows the system's policy (OpenSSL)");
            }

            context.Report.Mapped(line, $"the HTTPS listeners accept {(minimum == "TLSv1.3" ? "TLS 1.3" : "TLS 1.2 and 1.3")} (SslProtocols)");
        }
        else
        {
            context.Report.Approximated(line, "TLS follows the system's policy (OpenSSL); Kestrel:Endpoints:<name>:SslProtocols sets the versions");
        }
    }
}
