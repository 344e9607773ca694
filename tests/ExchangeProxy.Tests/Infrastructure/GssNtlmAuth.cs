using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// Windows sign-in on a fake CAS server with a real acceptor: <see cref="NegotiateAuthentication"/> on the server
/// side, which on Linux is GSSAPI with gss-ntlmssp (Debian package gss-ntlmssp), checking each NTLMv2 response
/// against the challenge it issued on that very TCP connection, with the accounts of <see cref="Users"/>. As IIS:
/// each sign-in is bound to its connection, NTLM and Negotiate (NTLM inside SPNEGO) are offered, and a signed-in
/// connection answers without credentials as its user.
/// </summary>
public sealed class GssNtlmAuth
{
    public const string Domain = "CONTOSO";
    public const int UserCount = 60;

    private static readonly Lazy<string> UsersFile = new(WriteUsersFile);
    private int _nextId;
    private int _completed;
    private int _failed;

    public GssNtlmAuth()
    {
        Assert.True(File.Exists("/etc/gss/mech.d/mech.ntlmssp.conf"),
            "gss-ntlmssp is missing: tests/run.sh installs the Debian gss-ntlmssp package");
        // gss-ntlmssp reads its accounts from this file (getenv) when an acceptor starts; on Unix
        // Environment.SetEnvironmentVariable changes only .NET's own copy of the environment.
        Assert.Equal(0, SetNativeEnvironmentVariable("NTLM_USER_FILE", UsersFile.Value, 1));
    }

    /// <summary>Sign-ins the acceptor completed, and those it refused (a wrong password, a leg on the wrong connection).</summary>
    public int Completed => Volatile.Read(ref _completed);

    public int Failed => Volatile.Read(ref _failed);

    /// <summary>user1 … user60, each with a password of its own.</summary>
    public static NetworkCredential User(int number) => new($"user{number}", $"Pass-{number}-word!", Domain);

    public void Track(ListenOptions listen) =>
        listen.Use(next => async connection =>
        {
            var state = new SignInConnection(Interlocked.Increment(ref _nextId));
            connection.Features.Set(state);
            try
            {
                await next(connection);
            }
            finally
            {
                state.Acceptor?.Dispose();
            }
        });

    public async Task HandleAsync(HttpContext context, string serverName)
    {
        var connection = context.Features.Get<SignInConnection>()
            ?? throw new InvalidOperationException("connection features are not visible to requests");
        var authorization = context.Request.Headers.Authorization.ToString();
        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space > 0 ? authorization[..space] : authorization;
        if (scheme is "NTLM" or "Negotiate" && space > 0)
        {
            connection.Acceptor ??= new NegotiateAuthentication(new NegotiateAuthenticationServerOptions { Package = scheme });
            var answer = connection.Acceptor.GetOutgoingBlob(Convert.FromBase64String(authorization[(space + 1)..]), out var status);
            switch (status)
            {
                case NegotiateAuthenticationStatusCode.ContinueNeeded:
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = $"{scheme} {Convert.ToBase64String(answer!)}";
                    return;
                case NegotiateAuthenticationStatusCode.Completed:
                    Interlocked.Increment(ref _completed);
                    connection.User = connection.Acceptor.RemoteIdentity.Name;
                    if (answer is { Length: > 0 })
                    {
                        context.Response.Headers.WWWAuthenticate = $"{scheme} {Convert.ToBase64String(answer)}";
                    }

                    connection.Acceptor.Dispose();
                    connection.Acceptor = null;
                    break;
                default:
                    Interlocked.Increment(ref _failed);
                    connection.Acceptor.Dispose();
                    connection.Acceptor = null;
                    connection.User = null;
                    await ChallengeAsync(context, $"sign-in refused: {status}");
                    return;
            }
        }

        if (connection.User is null)
        {
            await ChallengeAsync(context, "sign in first");
            return;
        }

        // Read what a client sends (an EWS POST), as the server would before answering.
        long body = 0;
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            body += read;
        }

        context.Response.Headers["X-Body-Bytes"] = body.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(new WhoAmI(serverName, connection.User, connection.Id));
    }

    private static async Task ChallengeAsync(HttpContext context, string reason)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = new(["Negotiate", "NTLM"]);
        await context.Response.WriteAsync(reason);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    private static extern int SetNativeEnvironmentVariable(string name, string value, int overwrite);

    private static string WriteUsersFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"exproxy-ntlm-users-{Environment.ProcessId}");
        File.WriteAllLines(path, Enumerable.Range(1, UserCount).Select(i => $"{Domain}:user{i}:{User(i).Password}"));
        return path;
    }

    private sealed class SignInConnection(int id)
    {
        public int Id { get; } = id;

        public NegotiateAuthentication? Acceptor { get; set; }

        public string? User { get; set; }
    }
}
