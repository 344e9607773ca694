using System.Net;
using System.Text.RegularExpressions;

namespace ExchangeProxy.Configuration;

/// <summary>Resolves the plain-HTTP redirect listener and the redirect of <c>/</c>.</summary>
public static partial class RedirectResolution
{
    private const string Section = ExchangeProxyOptions.SectionName;

    public static HttpRedirectSettings? ResolveHttpRedirect(
        HttpRedirectOptions? configured, IEnumerable<TcpService> tcp, AdminSettings admin, List<ConfigError> errors)
    {
        if (configured is null)
        {
            return null;
        }

        const string Key = $"{Section}:HttpRedirect";
        var ok = true;
        IPEndPoint? listen = null;
        if (configured.Listen is not { } text || !IPEndPoint.TryParse(text, out listen) || listen.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal))
        {
            errors.Add(new ConfigError($"{Key}:Listen", $"'{configured.Listen}' is not IP:port (e.g. 0.0.0.0:80 or [::]:80)"));
            ok = false;
        }
        else if (listen.Port > 0)
        {
            var taken = tcp.FirstOrDefault(t => listen.Equals(t.Listen)) is { } other ? $"the address of listener '{other.Name}'"
                : admin.Url is { } url && IPEndPoint.TryParse(url.Authority, out var adminEndpoint) && listen.Equals(adminEndpoint) ? "the admin listener's address"
                : null;
            if (taken is not null)
            {
                errors.Add(new ConfigError($"{Key}:Listen", $"{listen} is already {taken}"));
                ok = false;
            }
        }

        var port = configured.HttpsPort ?? HttpRedirectSettings.DefaultHttpsPort;
        ok &= Require.InRange(port, 1, 65535, $"{Key}:HttpsPort", errors);
        return ok ? new HttpRedirectSettings(listen!, port) : null;
    }

    /// <summary>Null or empty: off. Otherwise a path on this host, never "//host" (which a browser reads as another site).</summary>
    public static string? ResolveRootRedirect(string? configured, List<ConfigError> errors)
    {
        if (string.IsNullOrEmpty(configured))
        {
            return null;
        }

        if (!LocalPath().IsMatch(configured))
        {
            errors.Add(new ConfigError($"{Section}:RootRedirect",
                $"'{configured}' is not a path on this host like /owa/ (one leading '/', no scheme or host); empty switches the redirect off"));
            return null;
        }

        return configured;
    }

    [GeneratedRegex("^/(?![/\\\\])[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")]
    private static partial Regex LocalPath();
}
