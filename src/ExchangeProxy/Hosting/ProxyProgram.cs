using System.Net.Sockets;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;

namespace ExchangeProxy.Hosting;

/// <summary>
/// What <c>ExchangeProxy</c> does when started: serve, check a file (<c>--check-config</c>), probe
/// (<c>--probe</c>), hash an admin password (<c>--hash-password</c>), convert an HAProxy configuration
/// (<c>--import-haproxy</c>), or say its version or usage.
/// </summary>
public static class ProxyProgram
{
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        var commandLine = ProxyCommandLine.Parse(args, Environment.GetEnvironmentVariable);
        if (commandLine.Help)
        {
            await output.WriteLineAsync(ProxyCommandLine.Usage);
            return 0;
        }

        if (commandLine.Version)
        {
            await output.WriteLineAsync(VersionLine());
            return 0;
        }

        if (commandLine.HashPassword)
        {
            // From standard input, so the password stays out of the shell history and the process list.
            var password = (await input.ReadLineAsync())?.TrimEnd('\r');
            if (string.IsNullOrEmpty(password))
            {
                await error.WriteLineAsync("--hash-password reads the password from standard input; none was given");
                return 1;
            }

            await output.WriteLineAsync(Admin.PasswordHash.Create(password));
            return 0;
        }

        if (commandLine.ImportHaproxy is not null)
        {
            return await Import.ImportCommand.RunAsync(commandLine.ImportHaproxy, commandLine.ImportOut, output, error);
        }

        if (commandLine.ImportOut is not null)
        {
            await error.WriteLineAsync("--out goes with --import-haproxy");
            return 1;
        }

        if (commandLine.ProbeUrl is not null)
        {
            return await HealthProbe.RunAsync(commandLine.ProbeUrl, error);
        }

        if (commandLine.CheckConfig)
        {
            return await CheckConfigAsync(commandLine.ConfigPath, output, error);
        }

        WebApplication app;
        try
        {
            app = await ProxyApp.CreateAsync(commandLine);
            await app.StartAsync();
        }
        catch (ConfigurationRejectedException e)
        {
            await WriteErrorsAsync(error, e.Path, e.Errors);
            return 1;
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or InvalidDataException)
        {
            // Port in use, unreadable certificate, malformed JSON: the message says it; a stack trace would not help.
            await error.WriteLineAsync($"ExchangeProxy could not start: {Describe(e)}");
            return 1;
        }

        await using (app)
        {
            await app.WaitForShutdownAsync();
        }

        return 0;
    }

    /// <summary>The assembly's informational version (with the commit it was built from, where the build knew it) and the runtime.</summary>
    public static string VersionLine() => $"ExchangeProxy {BuildVersion.Current} on {BuildVersion.Current.Runtime}";

    private static async Task<int> CheckConfigAsync(string path, TextWriter output, TextWriter error)
    {
        ConfigLoadResult result;
        try
        {
            if (!File.Exists(path))
            {
                await error.WriteLineAsync($"{path}: configuration file does not exist");
                return 1;
            }

            var configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
            result = await ConfigCheck.RunAsync(configuration, checkListenerCertificates: true);
        }
        catch (InvalidDataException e)
        {
            await error.WriteLineAsync($"{path}: {Describe(e)}");
            return 1;
        }

        if (result.Model is null)
        {
            await WriteErrorsAsync(error, path, result.Errors);
            return 1;
        }

        await output.WriteLineAsync($"{path}: configuration is valid ({result.Model.Servers.Count} servers, {result.Model.Services.Count} services)");
        return 0;
    }

    private static async Task WriteErrorsAsync(TextWriter error, string path, IReadOnlyList<ConfigError> errors)
    {
        await error.WriteLineAsync($"{path}: configuration rejected, {errors.Count} error(s):");
        foreach (var problem in errors)
        {
            await error.WriteLineAsync($"  {problem}");
        }
    }

    private static string Describe(Exception e) =>
        e.InnerException is null ? e.Message : $"{e.Message} {Describe(e.InnerException)}";
}
