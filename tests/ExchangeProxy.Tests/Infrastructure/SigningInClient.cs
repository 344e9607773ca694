using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// One client connection through the proxy, as Outlook holds it: a single keep-alive HTTP/1.1 connection on
/// which it signs in with the fake NTLM of <see cref="FakeWindowsAuth"/> and then sends its requests.
/// </summary>
public sealed class SigningInClient : IDisposable
{
    private readonly HttpClient _http;
    private int _connections;

    public SigningInClient(RunningProxy proxy, string user, Version? version = null, HttpVersionPolicy policy = HttpVersionPolicy.RequestVersionExact)
    {
        User = user;
        _http = proxy.CreateClient(version, handler =>
        {
            handler.MaxConnectionsPerServer = 1;
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref _connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            };
        });
        _http.DefaultVersionPolicy = policy;
    }

    public string User { get; }

    /// <summary>TCP connections this client opened to the proxy.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The three legs; returns who the server says signed in, or throws with what went wrong.</summary>
    public async Task<WhoAmI> SignInAsync(string path)
    {
        using (var anonymous = await _http.GetAsync(path))
        {
            Require(anonymous, HttpStatusCode.Unauthorized, "the anonymous request");
        }

        string challenge;
        using (var negotiate = await SendAsync(path, FakeWindowsAuth.Negotiate(User)))
        {
            Require(negotiate, HttpStatusCode.Unauthorized, "the type 1 leg");
            challenge = FakeWindowsAuth.ChallengeIn(negotiate)
                ?? throw new InvalidOperationException("the type 1 leg got no challenge");
        }

        using var authenticate = await SendAsync(path, FakeWindowsAuth.Authenticate(User, challenge));
        return await ReadAsync(authenticate, "the type 3 leg");
    }

    public async Task<WhoAmI> WhoAmIAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        return await ReadAsync(response, "a signed-in request");
    }

    public Task<HttpResponseMessage> GetAsync(string path) => _http.GetAsync(path);

    public Task<HttpResponseMessage> SendAsync(string path, string authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        return _http.SendAsync(request);
    }

    private static async Task<WhoAmI> ReadAsync(HttpResponseMessage response, string what)
    {
        Require(response, HttpStatusCode.OK, what);
        return await response.Content.ReadFromJsonAsync<WhoAmI>() ?? throw new InvalidOperationException($"{what}: empty answer");
    }

    private static void Require(HttpResponseMessage response, HttpStatusCode expected, string what)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{what}: {(int)response.StatusCode} instead of {(int)expected}");
        }
    }

    public void Dispose() => _http.Dispose();
}
