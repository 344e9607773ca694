using System.Security.Cryptography;
using System.Text;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Admin;

/// <summary>
/// With Admin:ApiKeySha256 set, the admin API answers only callers that send the key (X-Api-Key, or
/// Authorization: Bearer); the configuration keeps its hash, never the key. Without it (allowed on loopback
/// only) the API is open to whoever can reach the loopback listener.
/// </summary>
public sealed class AdminApiKey(RequestDelegate next, ProxyModelStore models)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (models.Current.Admin.ApiKeySha256 is not { } expected || Matches(Presented(context.Request), expected))
        {
            return next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsync("401 The admin API needs its key: X-Api-Key: <key> or Authorization: Bearer <key>.\n");
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var key))
        {
            return key.ToString();
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private static bool Matches(string? presented, byte[] expected) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected);
}
