using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// Connection-bound sign-in as IIS does it for NTLM, on a fake CAS server. The three legs: a type 1 message
/// (<c>NEGOTIATE:user</c>) gets a 401 with a challenge made for this TCP connection; the type 3 message
/// (<c>AUTHENTICATE:user:challenge</c>) must come back on the same connection; after it the connection is
/// signed in and answers requests without credentials as that user. A leg on any other connection is refused
/// and counted as a violation. Each TCP connection has a number, which every answer reports.
/// </summary>
public sealed class FakeWindowsAuth
{
    private readonly ConcurrentDictionary<int, FakeConnection> _open = new();
    private int _nextId;
    private int _violations;
    private int _legs;

    /// <summary>Open TCP connections that carried at least one sign-in leg.</summary>
    public int OpenSignInConnections => _open.Values.Count(c => c.SawSignIn);

    /// <summary>Open TCP connections that carried requests to the Windows auth virtual directories (not probes).</summary>
    public int OpenRequestConnections => _open.Values.Count(c => c.SawRequest);

    /// <summary>Type 3 legs that arrived on a connection that had not issued their challenge.</summary>
    public int Violations => Volatile.Read(ref _violations);

    /// <summary>Type 1 and type 3 messages received.</summary>
    public int Legs => Volatile.Read(ref _legs);

    public static string Negotiate(string user) => "NTLM " + Encode($"NEGOTIATE:{user}");

    public static string Authenticate(string user, string challenge) => "NTLM " + Encode($"AUTHENTICATE:{user}:{challenge}");

    /// <summary>The challenge in a 401's <c>WWW-Authenticate: NTLM token</c>, or null for a bare challenge.</summary>
    public static string? ChallengeIn(HttpResponseMessage response)
    {
        foreach (var value in response.Headers.WwwAuthenticate)
        {
            if (value.Scheme == "NTLM" && value.Parameter is { } token)
            {
                return Decode(token).Split(':', 2)[1];
            }
        }

        return null;
    }

    public void Track(ListenOptions listen) =>
        listen.Use(next => async connection =>
        {
            var state = new FakeConnection(Interlocked.Increment(ref _nextId));
            _open[state.Id] = state;
            connection.Features.Set(state);
            try
            {
                await next(connection);
            }
            finally
            {
                _open.TryRemove(state.Id, out _);
            }
        });

    public async Task HandleAsync(HttpContext context, string serverName)
    {
        var connection = context.Features.Get<FakeConnection>()
            ?? throw new InvalidOperationException("connection features are not visible to requests");
        connection.SawRequest = true;
        if (context.Request.Query.ContainsKey("close"))
        {
            context.Response.Headers.Connection = "close";
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("NTLM ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _legs);
            connection.SawSignIn = true;
            var message = Decode(authorization[5..]).Split(':');
            switch (message)
            {
                case ["NEGOTIATE", var user]:
                    connection.PendingUser = user;
                    connection.Challenge = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
                    connection.User = null;
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "NTLM " + Encode($"CHALLENGE:{connection.Challenge}");
                    return;
                case ["AUTHENTICATE", var user, var challenge]
                    when connection.Challenge == challenge && connection.PendingUser == user:
                    connection.User = user;
                    connection.Challenge = null;
                    break;
                default:
                    Interlocked.Increment(ref _violations);
                    await ChallengeAsync(context, "sign-in leg on a connection that did not issue its challenge");
                    return;
            }
        }

        if (connection.User is null && !context.Request.Path.Value!.EndsWith("/anonymous", StringComparison.OrdinalIgnoreCase))
        {
            await ChallengeAsync(context, "sign in first");
            return;
        }

        await context.Response.WriteAsJsonAsync(new WhoAmI(serverName, connection.User, connection.Id));
    }

    private static async Task ChallengeAsync(HttpContext context, string reason)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = new(["Negotiate", "NTLM"]);
        await context.Response.WriteAsync(reason);
    }

    private static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Decode(string token) => Encoding.UTF8.GetString(Convert.FromBase64String(token));

    private sealed class FakeConnection(int id)
    {
        public int Id { get; } = id;

        public bool SawSignIn { get; set; }

        public bool SawRequest { get; set; }

        public string? PendingUser { get; set; }

        public string? Challenge { get; set; }

        public string? User { get; set; }
    }
}

/// <summary>What a fake server with Windows auth says about a request: who signed in, on which of its connections.</summary>
public sealed record WhoAmI(string Server, string? User, int Connection);
