using Microsoft.Extensions.Primitives;

namespace ExchangeProxy.WindowsAuth;

/// <summary>
/// Recognises the HTTP authentication schemes whose state lives in the TCP connection: NTLM, and Negotiate
/// (SPNEGO, which falls back to NTLM and which IIS also keeps per connection for Kerberos).
/// </summary>
public static class ConnectionBoundAuth
{
    private static readonly string[] Schemes = ["NTLM", "Negotiate"];

    /// <summary>Whether a <c>WWW-Authenticate</c> header offers a connection-bound scheme, with or without a token.</summary>
    public static bool IsChallenge(StringValues wwwAuthenticate)
    {
        foreach (var value in wwwAuthenticate)
        {
            // One header may list several challenges: "Negotiate, NTLM" or "Basic realm=\"x\", NTLM".
            foreach (var part in (value ?? "").Split(','))
            {
                if (StartsWithScheme(part.AsSpan().TrimStart()))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether an <c>Authorization</c> header carries a token of a connection-bound scheme.</summary>
    public static bool IsCredential(StringValues authorization)
    {
        foreach (var value in authorization)
        {
            if (StartsWithScheme((value ?? "").AsSpan().TrimStart()))
            {
                return true;
            }
        }

        return false;
    }

    private static bool StartsWithScheme(ReadOnlySpan<char> text)
    {
        foreach (var scheme in Schemes)
        {
            if (text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
                && (text.Length == scheme.Length || char.IsWhiteSpace(text[scheme.Length])))
            {
                return true;
            }
        }

        return false;
    }
}
