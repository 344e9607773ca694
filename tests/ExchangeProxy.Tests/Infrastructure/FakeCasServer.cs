using System.Net;
using System.Text.Json;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// A stand-in for one Exchange CAS server: real Kestrel with HTTPS on loopback, every virtual directory with
/// its healthcheck.htm, and an echo of what arrived (headers, body size) so tests see what the proxy sent.
/// <c>?delayMs=N</c> answers after N ms; <c>?abort=1</c> reads the request and drops the connection without an
/// answer, as a server that crashes mid-request; RPC_IN_DATA bodies are counted as they stream in. Started with
/// Windows auth, the virtual directories that use it ask for a connection-bound sign-in (see <see cref="FakeWindowsAuth"/>).
/// </summary>
public sealed class FakeCasServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _healthStatus = new(StringComparer.OrdinalIgnoreCase);
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _healthCheckHosts = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<EchoResponse> _echoed = new();
    private long _streamedBytes;
    private int _inFlight;
    private int _requests;
    private int _aborted;

    private FakeCasServer(string name, WebApplication app, FakeWindowsAuth? windowsAuth, GssNtlmAuth? gssAuth)
    {
        Name = name;
        _app = app;
        WindowsAuth = windowsAuth;
        GssAuth = gssAuth;
    }

    /// <summary>The connection-bound sign-in on the Windows auth virtual directories, when started with it.</summary>
    public FakeWindowsAuth? WindowsAuth { get; }

    /// <summary>The real NTLM and Negotiate acceptor on the Windows auth virtual directories, when started with it.</summary>
    public GssNtlmAuth? GssAuth { get; }

    public string Name { get; }

    public string Address { get; private set; } = "";

    public int Port => new Uri(Address).Port;

    /// <summary>Body bytes received so far by RPC_IN_DATA requests.</summary>
    public long StreamedBytes => Interlocked.Read(ref _streamedBytes);

    /// <summary>Requests being answered right now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>"Host: ..." of each healthcheck.htm request, as the server saw it (the first thousand).</summary>
    public IReadOnlyCollection<string> HealthCheckHosts => _healthCheckHosts;

    /// <summary>Requests answered, other than healthcheck.htm.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>What the first thousand requests looked like on arrival, as each was answered.</summary>
    public IReadOnlyCollection<EchoResponse> Echoed => _echoed;

    /// <summary>Requests read and then dropped without an answer (<c>?abort=1</c>), by method.</summary>
    public int Aborted => Volatile.Read(ref _aborted);

    /// <summary>As Set-ServerComponentState ServerWideOffline: every healthcheck.htm stops answering 200.</summary>
    public bool ServerWideOffline { get; set; }

    /// <summary>Makes one virtual directory's healthcheck.htm answer <paramref name="status"/> (200 restores it).</summary>
    public void SetHealthCheck(string service, int status) => _healthStatus[service] = status;

    /// <param name="certificate">The certificate to present; by default one of its own, as a CAS server's differs from the proxy's.</param>
    /// <param name="gssAuth">Sign-in on the Windows auth virtual directories by a real acceptor (in place of <paramref name="windowsAuth"/>).</param>
    public static async Task<FakeCasServer> StartAsync(string name, bool windowsAuth = false, IPAddress? address = null, int port = 0,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null, GssNtlmAuth? gssAuth = null)
    {
        var auth = windowsAuth ? new FakeWindowsAuth() : null;
        var builder = WebApplication.CreateSlimBuilder();
        // Not the operator's appsettings.json in the working directory: its listeners are the proxy's.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        certificate ??= SelfSignedCertificate.Create($"{name}.contoso.test", TimeProvider.System);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            // IIS takes Kerberos tokens of users in many groups (MaxFieldLength / MaxRequestBytes raised).
            k.Limits.MaxRequestHeadersTotalSize = 128 * 1024;
            // Exchange raises IIS's URL limits for OWA's long attachment and item URLs.
            k.Limits.MaxRequestLineSize = 64 * 1024;
            k.Listen(address ?? IPAddress.Loopback, port, listen =>
            {
                auth?.Track(listen);
                gssAuth?.Track(listen);
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(certificate);
            });
        });
        var app = builder.Build();
        var server = new FakeCasServer(name, app, auth, gssAuth);
        server.Map(app);
        await app.StartAsync();
        server.Address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return server;
    }

    private void Record(HttpContext context)
    {
        if (_healthCheckHosts.Count < 1000)
        {
            _healthCheckHosts.Enqueue("Host: " + context.Request.Host);
        }
    }

    private void Map(WebApplication app)
    {
        foreach (var vdir in ExchangeVirtualDirectories.All)
        {
            app.MapGet(vdir.Path + "/healthcheck.htm", (HttpContext context) =>
            {
                Record(context);
                return ServerWideOffline ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
                    : _healthStatus.GetValueOrDefault(vdir.Name, 200) is var status and not 200 ? Results.StatusCode(status)
                    : Results.Text($"200 OK<br/>{Name.ToUpperInvariant()}.CONTOSO.TEST", "text/html");
            });
            if (WindowsAuth is { } auth && vdir.WindowsAuth)
            {
                app.Map(vdir.Path + "/{**path}", (HttpContext context) => auth.HandleAsync(context, Name));
            }
            else if (GssAuth is { } gss && vdir.WindowsAuth)
            {
                app.Map(vdir.Path + "/{**path}", (HttpContext context) => gss.HandleAsync(context, Name));
            }
        }

        app.Map("/{**path}", Echo);
    }

    private async Task Echo(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
        try
        {
            await EchoRequest(context);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>When set, the server checks passwords before it echoes (Basic on ActiveSync and EWS, OWA's form).</summary>
    public FakeSignIns? SignIns { get; set; }

    private async Task EchoRequest(HttpContext context)
    {
        var request = context.Request;
        if (SignIns is { } signIns && await signIns.HandleAsync(context))
        {
            return;
        }

        if (int.TryParse(request.Query["delayMs"], out var delay))
        {
            await Task.Delay(delay, context.RequestAborted);
        }

        long bodyBytes = 0;
        var buffer = new byte[64 * 1024];
        var streaming = request.Method == "RPC_IN_DATA";
        int read;
        while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            bodyBytes += read;
            if (streaming)
            {
                Interlocked.Add(ref _streamedBytes, read);
            }
        }

        if (request.Query["abort"] == "1")
        {
            Interlocked.Increment(ref _aborted);
            context.Abort();
            return;
        }

        var echo = new EchoResponse(
            Name,
            request.Method,
            request.Path + request.QueryString,
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget,
            request.Host.Value ?? "",
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            bodyBytes);
        if (_echoed.Count < 1000)
        {
            _echoed.Enqueue(echo);
        }

        context.Response.Headers["Server"] = "Microsoft-IIS/10.0";
        await context.Response.WriteAsJsonAsync(echo);
    }

    /// <summary>Stops the server as its process ending would; a second call (the test's own cleanup after a test stopped it) does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <param name="RawTarget">The request target exactly as the server received it.</param>
public sealed record EchoResponse(string Server, string Method, string Path, string RawTarget, string Host, Dictionary<string, string> Headers, long BodyBytes)
{
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public static async Task<EchoResponse> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonSerializer.Deserialize<EchoResponse>(text, JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException("empty echo: " + text);
    }
}
