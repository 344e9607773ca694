using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>A real process (the built or published proxy, or a README command), its output captured, killed on dispose.</summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private ProxyProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Kestrel's start-up line, as text or as compact JSON (where the URL is a quoted property).</summary>
    public const string ListeningPattern = @"Now listening on: \\?""?(https://127\.0\.0\.1:\d+)";

    /// <summary>The proxy dll built beside the tests.</summary>
    public bool HasExited => _process.HasExited;

    public static string BuiltDll => Path.Combine(AppContext.BaseDirectory, "ExchangeProxy.dll");

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ProxyProcess Start(string fileName, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test host's own environment must not leak into the proxy's choice of format or settings.
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        info.Environment.Remove(ExchangeProxy.Hosting.ProxyCommandLine.ConfigEnvironmentVariable);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var result = new ProxyProcess(process);
        process.OutputDataReceived += (_, e) => result.Append(result._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => result.Append(result._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return result;
    }

    public static ProxyProcess StartBuilt(params string[] args) => Start("dotnet", [BuiltDll, .. args]);

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.AppendLine(line);
        }
    }

    /// <summary>Sends SIGTERM, as docker stop and Kubernetes do.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task WriteStdinAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Ends the process's standard input (openssl s_client, for one, exits on it).</summary>
    public void CloseStdin() => _process.StandardInput.Close();

    public async Task<int> ExitCodeAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(deadline.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits for a line of standard output matching the pattern and returns the match.</summary>
    public async Task<Match> WaitForOutputAsync(string pattern, TimeSpan timeout)
    {
        Match? match = null;
        await Eventually.TrueAsync(
            () =>
            {
                match = Regex.Match(Stdout, pattern);
                return match.Success || _process.HasExited;
            },
            $"the process prints /{pattern}/",
            timeout);
        if (!match!.Success)
        {
            // Once exited, this drains the output still in flight.
            _process.WaitForExit();
            Assert.Fail($"exited ({_process.ExitCode}) without printing /{pattern}/.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        return match;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
