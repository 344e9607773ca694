using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Admin;

/// <summary>
/// Who may use the admin listener (except /health, which monitors poll without credentials): with an API key
/// configured, callers sending it (X-Api-Key or Authorization: Bearer); with Users, people signing in with
/// basic auth. The configuration holds only hashes. Verified basic credentials are remembered for a minute,
/// as a hash, so the stats page's refresh does not pay the password hash each time. Without either (allowed on
/// loopback only), whoever reaches the listener may use it.
/// </summary>
public sealed class AdminAuthentication(RequestDelegate next, ProxyModelStore models, TimeProvider time)
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _verified = new(StringComparer.Ordinal);

    public Task InvokeAsync(HttpContext context)
    {
        var admin = models.Current.Admin;
        if (!admin.RequiresCredentials || Authenticated(context.Request, admin))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = admin.Users.Count > 0 ? "Basic realm=\"ExchangeProxy\", charset=\"UTF-8\"" : "Bearer";
        return context.Response.WriteAsync("401 Sign in: basic auth as one of Admin:Users, or the API key as X-Api-Key or Authorization: Bearer.\n");
    }

    private bool Authenticated(HttpRequest request, AdminSettings admin)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (admin.ApiKeySha256 is { } key)
        {
            var presented = request.Headers.TryGetValue("X-Api-Key", out var header) ? header.ToString()
                : authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim()
                : null;
            if (presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), key))
            {
                return true;
            }
        }

        return admin.Users.Count > 0 && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && BasicMatches(authorization[6..].Trim(), admin);
    }

    private bool BasicMatches(string encoded, AdminSettings admin)
    {
        var remembered = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(encoded + "\n" + string.Join(",", admin.Users.Values))));
        var now = time.GetUtcNow();
        if (_verified.TryGetValue(remembered, out var until) && until > now)
        {
            return true;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !admin.Users.TryGetValue(decoded[..colon], out var hash) || !PasswordHash.Verify(decoded[(colon + 1)..], hash))
        {
            return false;
        }

        foreach (var stale in _verified.Where(v => v.Value <= now).Select(v => v.Key).ToList())
        {
            _verified.TryRemove(stale, out _);
        }

        _verified[remembered] = now + Remembered;
        return true;
    }
}
