using System.Collections.Concurrent;
using System.Text;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// A fake CAS server's own password check, as Exchange answers: Basic on ActiveSync and EWS (401 with a Basic
/// challenge when missing or wrong), and OWA's form (<c>POST /owa/auth.owa</c>: 302 to /owa/ when right, to the
/// sign-in page with <c>reason=2</c> when wrong). It counts the failures it saw per user, as Active Directory would.
/// </summary>
public sealed class FakeSignIns(IReadOnlyDictionary<string, string> passwords)
{
    // Signature, type 2, an empty target name, flags (Unicode, NTLM, always sign, extended session security), the
    // server challenge, reserved, an empty target information.
    private static readonly byte[] NtlmChallenge =
    [
        .. "NTLMSSP\0"u8, 2, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0, 0x01, 0x82, 0x08, 0x00,
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0,
    ];

    private int _ntlmFailures;

    public ConcurrentDictionary<string, int> Failures { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>NTLM AUTHENTICATE messages refused (whoever they named: the fake checks no NTLM response).</summary>
    public int NtlmFailures => Volatile.Read(ref _ntlmFailures);

    public ConcurrentDictionary<string, int> Successes { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int FailuresOf(string user) => Failures.GetValueOrDefault(user);

    /// <summary>Answers the request when the password check decides it; false when it goes on to the echo.</summary>
    public async Task<bool> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (HttpMethods.IsPost(request.Method) && request.Path.Equals("/owa/auth.owa", StringComparison.OrdinalIgnoreCase))
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            var right = Check(form["username"].ToString(), form["password"].ToString());
            context.Response.StatusCode = StatusCodes.Status302Found;
            context.Response.Headers.Location = right ? "/owa/" : "/owa/auth/logon.aspx?url=%2fowa%2f&reason=2";
            return true;
        }

        if (!request.Path.StartsWithSegments("/Microsoft-Server-ActiveSync", StringComparison.OrdinalIgnoreCase)
            && !request.Path.StartsWithSegments("/EWS", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("NTLM ", StringComparison.OrdinalIgnoreCase))
        {
            // Real NTLM messages (curl's): a NEGOTIATE gets a CHALLENGE in [MS-NLMP]'s format; every AUTHENTICATE is refused.
            var message = Convert.FromBase64String(authorization["NTLM ".Length..].Trim());
            var type = message.Length >= 12 ? BitConverter.ToInt32(message, 8) : 0;
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = type == 1 ? "NTLM " + Convert.ToBase64String(NtlmChallenge) : "NTLM";
            if (type == 3)
            {
                Interlocked.Increment(ref _ntlmFailures);
            }

            return true;
        }

        if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && Check(decoded[..colon], decoded[(colon + 1)..]))
            {
                return false;
            }
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"mail.contoso.test\"";
        return true;
    }

    private bool Check(string user, string password)
    {
        var right = passwords.TryGetValue(user, out var expected) && expected == password;
        (right ? Successes : Failures).AddOrUpdate(user, 1, (_, n) => n + 1);
        return right;
    }
}
