using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>The proxy, started in-process from a real appsettings.json on disk, listening on a loopback port.</summary>
public sealed class RunningProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _certificateHash;
    private readonly Uri? _address;

    private RunningProxy(WebApplication app, string configPath, LogCapture logs, string certificateHash)
    {
        _certificateHash = certificateHash;
        _app = app;
        ConfigPath = configPath;
        Logs = logs;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        Addresses = addresses;
        _address = addresses.FirstOrDefault(a => a.Scheme == Uri.UriSchemeHttps);
        var endpoints = app.Services.GetRequiredService<ExchangeProxy.Hosting.ListenerEndpoints>();
        AdminAddress = endpoints.Of(ExchangeProxy.Hosting.ListenerEndpoints.Admin) is { } admin ? new Uri($"http://{admin}/") : null;
    }

    /// <summary>Every bound listener address (the admin listener's too).</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    /// <summary>The public HTTPS listener (a proxy with layer-4 listeners only has none).</summary>
    public Uri Address => _address ?? throw new InvalidOperationException("the proxy has no HTTPS listener");

    /// <summary>The admin listener (plain HTTP on loopback), when configured.</summary>
    public Uri? AdminAddress { get; }

    public string ConfigPath { get; }

    public LogCapture Logs { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<RunningProxy> StartAsync(ProxyConfig config, params string[] args) => StartAsync(config, time: null, args);

    /// <summary>With <paramref name="time"/> as the proxy's clock (a FakeTimeProvider makes expiry testable).</summary>
    public static async Task<RunningProxy> StartAsync(ProxyConfig config, TimeProvider? time, params string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("exproxy-config-").FullName;
        var path = config.WriteTo(Path.Combine(directory, "appsettings.json"));
        return await StartAsync(path, config.Certificate, time, args);
    }

    public static Task<RunningProxy> StartAsync(string configPath, TestCertificate certificate, params string[] args) =>
        StartAsync(configPath, certificate, time: null, args);

    private static async Task<RunningProxy> StartAsync(string configPath, TestCertificate certificate, TimeProvider? time, string[] args)
    {
        var logs = new LogCapture();
        var commandLine = ProxyCommandLine.Parse(["--config", configPath, .. args], _ => null);
        var app = await ProxyApp.CreateAsync(commandLine, builder =>
        {
            builder.Logging.AddProvider(logs);
            if (time is not null)
            {
                builder.Services.AddSingleton(time);
            }
        });
        await app.StartAsync();
        return new RunningProxy(app, configPath, logs, certificate.Certificate.GetCertHashString());
    }

    /// <summary>A client that trusts exactly the listener's test certificate, speaking HTTP/1.1 unless told otherwise.</summary>
    public HttpClient CreateClient(Version? version = null, Action<SocketsHttpHandler>? configure = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == _certificateHash,
            },
            AllowAutoRedirect = false,
        };
        configure?.Invoke(handler);
        return new HttpClient(handler)
        {
            BaseAddress = Address,
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>
    /// The public HTTPS listener's address now: Kestrel binds an endpoint anew when its certificate changes, on a
    /// fixed port the same port, here (port 0) another. Null between the old endpoint's unbinding and the new one's binding.
    /// </summary>
    public Uri? CurrentHttpsAddress()
    {
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        try
        {
            return addresses.FirstOrDefault(a => a.StartsWith("https", StringComparison.Ordinal)) is { } https ? new Uri(https) : null;
        }
        catch (InvalidOperationException)
        {
            // The list changed as it was read: a rebind in progress.
            return null;
        }
    }

    /// <summary>The thumbprint of the certificate the HTTPS listener presents to a new connection; null while it is being bound anew.</summary>
    public async Task<string?> ListenerThumbprintAsync()
    {
        if (CurrentHttpsAddress() is not { } https)
        {
            return null;
        }

        string? thumbprint = null;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    thumbprint = certificate?.GetCertHashString();
                    return certificate is not null;
                },
            },
        };
        using var client = new HttpClient(handler) { BaseAddress = https };
        try
        {
            using var response = await client.GetAsync("/health/live");
        }
        catch (HttpRequestException)
        {
            // Between the old endpoint's unbinding and the new one's binding.
            return null;
        }

        return thumbprint;
    }

    /// <summary>Where a layer-4 listener is bound.</summary>
    public IPEndPoint TcpListener(string name) =>
        _app.Services.GetRequiredService<ExchangeProxy.Hosting.ListenerEndpoints>().Of(name)
            ?? throw new InvalidOperationException($"no listener '{name}'");

    public HttpClient CreateAdminClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = AdminAddress ?? throw new InvalidOperationException("no admin listener"), Timeout = TimeSpan.FromSeconds(30) };
        // As the README tells scripts to: the header that no cross-site page can send.
        client.DefaultRequestHeaders.Add(ExchangeProxy.Admin.CrossSiteGuard.HeaderName, "1");
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>A client whose connections come from <paramref name="source"/> (any 127.x.y.z is this machine).</summary>
    public HttpClient CreateClientFrom(IPAddress source) =>
        CreateClient(configure: handler => handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });

    /// <summary>What SIGTERM does: stop accepting, let what is in flight finish within the grace period.</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(Path.GetDirectoryName(ConfigPath)!, recursive: true);
    }
}
