using System.Net;

namespace ExchangeProxy.Configuration;

/// <summary>Resolves the admin listener: its address, who may use it, where maintenance states are kept.</summary>
public static class AdminResolution
{
    public static AdminSettings Resolve(AdminOptions configured, List<ConfigError> errors)
    {
        const string Key = $"{ExchangeProxyOptions.SectionName}:Admin";
        byte[]? hash = null;
        if (configured.ApiKeySha256 is { } hex)
        {
            try
            {
                hash = Convert.FromHexString(hex.Trim());
            }
            catch (FormatException)
            {
            }

            if (hash is not { Length: 32 })
            {
                errors.Add(new ConfigError($"{Key}:ApiKeySha256",
                    "not a SHA-256 in hex (64 characters); make one with: printf %s 'the key' | sha256sum"));
                hash = null;
            }
        }

        var text = configured.Url ?? AdminSettings.DefaultUrl;
        Uri? url = null;
        if (text.Length > 0)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out url) || url.Scheme != Uri.UriSchemeHttp
                || !IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) || url.AbsolutePath != "/")
            {
                errors.Add(new ConfigError($"{Key}:Url",
                    $"'{text}' is not http://IP:port (e.g. {AdminSettings.DefaultUrl}); empty switches the admin listener off"));
                url = null;
            }
            else if (!IPAddress.IsLoopback(address) && hash is null && configured.ApiKeySha256 is null && configured.Users.Count == 0)
            {
                errors.Add(new ConfigError($"{Key}:ApiKeySha256",
                    $"an API key or Users are required when the admin listener ({text}) is reachable from other hosts"));
            }
        }

        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < configured.Users.Count; i++)
        {
            var user = configured.Users[i];
            if (user.Name.Length == 0 || user.Name.Contains(':', StringComparison.Ordinal) || !users.TryAdd(user.Name, user.PasswordHash))
            {
                errors.Add(new ConfigError($"{Key}:Users:{i}:Name", $"'{user.Name}' is empty, has a ':' or is listed twice"));
            }

            if (!Admin.PasswordHash.IsWellFormed(user.PasswordHash))
            {
                errors.Add(new ConfigError($"{Key}:Users:{i}:PasswordHash",
                    "not a password hash; make one with: ExchangeProxy --hash-password (it reads the password from standard input)"));
            }
        }

        var refresh = configured.StatsRefresh ?? AdminSettings.DefaultStatsRefresh;
        Require.NotNegative(refresh, $"{Key}:StatsRefresh", errors, zeroMeans: "switches refresh off");

        return new AdminSettings(url, hash, string.IsNullOrWhiteSpace(configured.StateFile) ? null : configured.StateFile, users, refresh);
    }
}
