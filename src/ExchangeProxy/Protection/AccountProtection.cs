using System.Globalization;
using System.Net;
using ExchangeProxy.Configuration;
using ExchangeProxy.Http;

namespace ExchangeProxy.Protection;

/// <summary>
/// The forwarding step that stops password spraying and lockout storms before Active Directory sees them: a
/// sign-in by a locked-out user, device or address is answered at the proxy (401, or OWA's sign-in page again)
/// and never forwarded; after forwarding, the server's answer to credentials is counted (<see cref="AccountGuard"/>).
/// A failure is a 401 answered to credentials, or OWA's and ECP's failed-sign-in redirect (<c>reason=2</c>).
/// </summary>
public static partial class AccountProtection
{
    public static async Task GuardAsync(HttpContext context, Func<Task> next)
    {
        var settings = context.RequestServices.GetRequiredService<ProxyModelStore>().Current.Protection.AccountProtection;
        var authorization = context.Request.Headers.Authorization.ToString();
        var form = context.Features.Get<FormSignIn>() is not null;
        // Only a request that presents credentials is a sign-in; an anonymous request's 401 is the server's challenge.
        // Most requests present none: they go on without reading who signs in.
        var credentials = form || SignIn.FromAuthorization(authorization) is not null || IsKerberos(authorization);
        if (!settings.Enabled || !credentials)
        {
            await next();
            return;
        }

        var who = SignIn.Read(context);
        var guard = context.RequestServices.GetRequiredService<AccountGuard>();
        var client = ClientOf(context);
        if (guard.Check(settings, who, client) is { } lockout)
        {
            await RefuseAsync(context, lockout, form, client, who);
            return;
        }

        await next();
        var response = context.Response;
        if (response.StatusCode == StatusCodes.Status401Unauthorized || (form && IsFailedFormSignIn(response)))
        {
            guard.Failed(settings, who, client);
        }
        else if (response.StatusCode < StatusCodes.Status400BadRequest)
        {
            guard.Succeeded(who);
        }
    }

    /// <summary>A Negotiate token that is not NTLM: Kerberos, which names no user the proxy can read.</summary>
    public static bool IsKerberos(string authorization)
    {
        const string Scheme = "Negotiate ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var token = authorization.AsSpan(Scheme.Length).Trim();
        var bytes = new byte[token.Length];
        return Convert.TryFromBase64Chars(token, bytes, out var length) && length > 0
            && bytes.AsSpan(0, length).IndexOf("NTLMSSP\0"u8) < 0;
    }

    private static bool IsFailedFormSignIn(HttpResponse response) =>
        response.StatusCode is >= 300 and < 400
        && response.Headers.Location.ToString().Contains("reason=2", StringComparison.OrdinalIgnoreCase);

    private static IPAddress ClientOf(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address) : IPAddress.None;

    private static Task RefuseAsync(HttpContext context, AccountStatus lockout, bool form, IPAddress client, SignIn who)
    {
        var logger = context.RequestServices.GetRequiredService<ILogger<AccountGuard>>();
        var user = who.User ?? "-";
        LogRefused(logger, user, client, lockout.Kind, lockout.Name, context.Request.Method, context.Request.Path.Value ?? "");
        var response = context.Response;
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((lockout.LockedUntil!.Value - context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()).TotalSeconds))
            .ToString(CultureInfo.InvariantCulture);
        if (form)
        {
            // What OWA itself answers to a wrong password: its sign-in page again, saying so.
            var directory = context.Request.Path.Value![..context.Request.Path.Value!.LastIndexOf('/')];
            response.StatusCode = StatusCodes.Status302Found;
            response.Headers.Location = $"{directory}/auth/logon.aspx?reason=2";
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync("401 Too many failed sign-ins; try again later.\n");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Account protection refused a sign-in as {User} from {ClientIp}: {Kind} {Name} is locked out ({Method} {Path})")]
    private static partial void LogRefused(ILogger logger, string user, IPAddress clientIp, AccountKind kind, string name, string method, string path);
}
