namespace ExchangeProxy.Hosting;

/// <summary>
/// The proxy's own switches, taken out of the arguments before ASP.NET Core reads the rest as configuration
/// (<c>--Kestrel:Endpoints:...=...</c> still works).
/// </summary>
/// <param name="ConfigPath">The file THE operator edits: <c>--config PATH</c>, else <c>EXCHANGEPROXY_CONFIG</c>, else ./appsettings.json.</param>
/// <param name="ProbeUrl">With <c>--probe URL</c>: check that URL answers 200 instead of serving.</param>
/// <param name="HashPassword">With <c>--hash-password</c>: print the hash of the password read from standard input.</param>
public sealed record ProxyCommandLine(string ConfigPath, bool Demo, bool CheckConfig, string? ProbeUrl, IReadOnlyList<string> HostArgs, bool HashPassword = false)
{
    public const string ConfigEnvironmentVariable = "EXCHANGEPROXY_CONFIG";
    public const string DefaultConfigFile = "appsettings.json";

    public static ProxyCommandLine Parse(IReadOnlyList<string> args, Func<string, string?> getEnvironmentVariable)
    {
        string? configPath = null;
        string? checkPath = null;
        var demo = false;
        var check = false;
        var hash = false;
        string? probe = null;
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
                case "--config" when i + 1 < args.Count:
                    configPath = args[++i];
                    break;
                case "--probe" when i + 1 < args.Count:
                    probe = args[++i];
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
            Path.GetFullPath(string.IsNullOrWhiteSpace(path) ? DefaultConfigFile : path), demo, check, probe, rest, hash);
    }
}
