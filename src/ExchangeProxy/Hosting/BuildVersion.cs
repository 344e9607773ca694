using System.Reflection;
using System.Runtime.InteropServices;

namespace ExchangeProxy.Hosting;

/// <summary>
/// What this build is: its version, the commit it was built from (the SDK appends it to the informational
/// version, as <c>1.0.0+&lt;commit&gt;</c>, when it builds from a git checkout; "unknown" otherwise) and the runtime.
/// </summary>
public sealed record BuildVersion(string Version, string Commit, string Runtime)
{
    public const string UnknownCommit = "unknown";

    public static BuildVersion Current { get; } = Read();

    public override string ToString() => Commit == UnknownCommit ? Version : $"{Version}+{Commit}";

    private static BuildVersion Read()
    {
        var assembly = typeof(BuildVersion).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "unknown";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0
            ? new BuildVersion(informational, UnknownCommit, RuntimeInformation.FrameworkDescription)
            : new BuildVersion(informational[..plus], informational[(plus + 1)..], RuntimeInformation.FrameworkDescription);
    }
}
