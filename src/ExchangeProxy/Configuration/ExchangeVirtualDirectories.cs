namespace ExchangeProxy.Configuration;

/// <summary>The Exchange virtual directories the proxy publishes, each with the defaults its clients need.</summary>
public static class ExchangeVirtualDirectories
{
    private const long Unlimited = 0;
    private const long MiB = 1024 * 1024;

    // Windows auth: Outlook Anywhere, MAPI, EWS, OAB and Autodiscover use NTLM or Negotiate; remote PowerShell
    // uses Kerberos with message encryption bound to the connection. OWA and ECP use forms, ActiveSync Basic or OAuth.
    // Timeouts follow Microsoft's rule that Exchange keeps the shortest idle timeout in the chain:
    // ActiveSync Ping heartbeats last up to 3,540 s, Outlook Anywhere, MAPI and EWS streaming up to 30 min.
    public static IReadOnlyList<VirtualDirectory> All { get; } =
    [
        new("owa", "/owa", 150 * MiB, TimeSpan.FromMinutes(15), WindowsAuth: false),
        new("ecp", "/ecp", 30 * MiB, TimeSpan.FromSeconds(100), WindowsAuth: false),
        new("ews", "/EWS", Unlimited, TimeSpan.FromMinutes(40), WindowsAuth: true),
        new("activesync", "/Microsoft-Server-ActiveSync", Unlimited, TimeSpan.FromMinutes(60), WindowsAuth: false),
        new("rpc", "/rpc", Unlimited, TimeSpan.FromMinutes(40), WindowsAuth: true),
        new("mapi", "/mapi", Unlimited, TimeSpan.FromMinutes(40), WindowsAuth: true),
        new("oab", "/OAB", 30 * MiB, TimeSpan.FromSeconds(100), WindowsAuth: true),
        new("autodiscover", "/Autodiscover", 30 * MiB, TimeSpan.FromSeconds(100), WindowsAuth: true),
        new("powershell", "/PowerShell", 150 * MiB, TimeSpan.FromMinutes(15), WindowsAuth: true),
    ];

    public static VirtualDirectory? Find(string serviceName) =>
        All.FirstOrDefault(v => string.Equals(v.Name, serviceName, StringComparison.OrdinalIgnoreCase));
}
