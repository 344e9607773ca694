using System.Text;
using ExchangeProxy.WindowsAuth;

namespace ExchangeProxy.Http;

/// <summary>
/// Who a request signs in as and from which device, where the request shows it: <c>Authorization: Basic</c>, an
/// NTLM AUTHENTICATE message (also inside Negotiate), OWA's and ECP's sign-in form, ActiveSync's query. Kerberos
/// names nobody the proxy can read. Never a password or a token.
/// </summary>
public sealed record SignIn(string? User, string? DeviceId, string? DeviceType)
{
    private const int MaxLength = 256;

    public static SignIn Read(HttpContext context)
    {
        var request = context.Request;
        var user = context.Features.Get<FormSignIn>()?.User ?? FromAuthorization(request.Headers.Authorization.ToString());
        string? deviceId = null;
        string? deviceType = null;
        if (request.Path.StartsWithSegments("/Microsoft-Server-ActiveSync", StringComparison.OrdinalIgnoreCase))
        {
            (var named, deviceId, deviceType) = ActiveSyncQuery.Read(request);
            user ??= named;
        }

        return new SignIn(Clean(user), Clean(deviceId), Clean(deviceType));
    }

    /// <summary>The account of a Basic, NTLM or Negotiate (NTLM inside) Authorization header.</summary>
    public static string? FromAuthorization(string authorization)
    {
        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return null;
        }

        // Only the schemes that name an account are decoded; a Bearer token or an unknown scheme is left alone.
        var basic = authorization.AsSpan(0, space).Equals("Basic", StringComparison.OrdinalIgnoreCase);
        if (!basic && !ConnectionBoundAuth.IsCredential(authorization))
        {
            return null;
        }

        var credentials = authorization.AsSpan(space + 1).Trim();
        var bytes = new byte[credentials.Length];
        if (!Convert.TryFromBase64Chars(credentials, bytes, out var length))
        {
            return null;
        }

        if (basic)
        {
            var decoded = Encoding.UTF8.GetString(bytes, 0, length);
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 ? decoded[..colon] : null;
        }

        return NtlmAuthenticateMessage.ReadAccount(bytes.AsSpan(0, length));
    }

    /// <summary>What a client wrote goes to the log: no control characters, and not without end.</summary>
    private static string? Clean(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var text = value.Length > MaxLength ? value[..MaxLength] : value;
        return text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? '?' : c)) : text;
    }
}
