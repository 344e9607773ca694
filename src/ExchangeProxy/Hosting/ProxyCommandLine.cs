namespace ExchangeProxy.Hosting;

/// <summary>
/// The proxy's own switches, taken out of the arguments before ASP.NET Core reads the rest as configuration
/// (<c>--Kestrel:Endpoints:...=...</c> still works).
/// </summary>
/// <param name="ConfigPath">The file THE operator edits: <c>--config PATH</c>, else <c>EXCHANGEPROXY_CONFIG</c>, else ./appsettings.json.</param>
/// <param name="ProbeUrl">With <c>--probe URL</c>: check that URL answers 200 instead of serving.</param>
/// <param name="HashPassword">With <c>--hash-password</c>: print the hash of the password read from standard input.</param>
/// <param name="Version">With <c>--version</c>: print the version and exit.</param>
/// <param name="Help">With <c>--help</c> (or <c>-h</c>): print the usage and exit.</param>
/// <param name="ImportHaproxy">With <c>--import-haproxy PATH</c>: convert that HAProxy configuration instead of serving.</param>
/// <param name="ImportOut">With <c>--out PATH</c>: where the converted configuration is written (never over an existing file).</param>
public sealed record ProxyCommandLine(
    string ConfigPath, bool Demo, bool CheckConfig, string? ProbeUrl, IReadOnlyList<string> HostArgs, bool HashPassword = false,
    bool Version = false, bool Help = false, string? ImportHaproxy = null, string? ImportOut = null)
{
    /// <summary>What <c>--help</c> prints: every switch above, and where the rest is written down.</summary>
    public const string Usage = """
        Usage: ExchangeProxy [--config PATH] [--demo] [--Section:Key=value ...]
               ExchangeProxy --check-config [PATH]
               ExchangeProxy --probe URL
               ExchangeProxy --hash-password < password
               ExchangeProxy --import-haproxy HAPROXY.CFG [--out PATH]
               ExchangeProxy --version | --help

        A load balancer and reverse proxy for Exchange Client Access servers.

          --config PATH       the configuration file (default: $EXCHANGEPROXY_CONFIG, else ./appsettings.json);
                              it is watched, and each edit is checked whole before it applies
          --demo              serve two built-in fake CAS servers through the proxy on https://localhost:5443
          --check-config      check a configuration file as a start or reload would; exit 0 if valid, 1 with
                              every error (key: reason) on standard error
          --probe URL         exit 0 if URL answers 200 (the container's health check), else 1
          --hash-password     print the hash of the password read from standard input, for Admin:Users
          --import-haproxy HAPROXY.CFG [--out PATH]
                              convert an HAProxy configuration; the result is checked as --check-config would
                              before it is written (to PATH, never over an existing file, else standard output),
                              with a report of every line: mapped, approximated (how), not supported (what instead)
          --version           print the version
          --help, -h          print this text
          --Section:Key=value any configuration key, over the file (as environment variables do:
                              ExchangeProxy__Admin__Url=...)

        The README describes every setting, the stats page, the admin API and the metrics.
        """;

    public const string ConfigEnvironmentVariable = "EXCHANGEPROXY_CONFIG";
    public const string DefaultConfigFile = "appsettings.json";

    public static ProxyCommandLine Parse(IReadOnlyList<string> args, Func<string, string?> getEnvironmentVariable)
    {
        string? configPath = null;
        string? checkPath = null;
        var demo = false;
        var check = false;
        var hash = false;
        var version = false;
        var help = false;
        string? probe = null;
        string? import = null;
        string? importOut = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--demo":
                    demo = true;
                    break;
                case "--hash-password":
                    hash = true;
                    break;
                case "--version":
                    version = true;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                case "--config" when i + 1 < args.Count:
                    configPath = args[++i];
                    break;
                case "--probe" when i + 1 < args.Count:
                    probe = args[++i];
                    break;
                case "--import-haproxy" when i + 1 < args.Count:
                    import = args[++i];
                    break;
                case "--out" when i + 1 < args.Count:
                    importOut = args[++i];
                    break;
                case "--check-config":
                    check = true;
                    if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        checkPath = args[++i];
                    }

                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }

        var path = checkPath ?? configPath ?? getEnvironmentVariable(ConfigEnvironmentVariable);
        return new ProxyCommandLine(
            Path.GetFullPath(string.IsNullOrWhiteSpace(path) ? DefaultConfigFile : path), demo, check, probe, rest, hash, version, help, import, importOut);
    }
}
