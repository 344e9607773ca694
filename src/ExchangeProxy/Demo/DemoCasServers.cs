using System.Net;
using System.Security.Cryptography.X509Certificates;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ExchangeProxy.Demo;

/// <summary>
/// Two in-process stand-ins for Exchange CAS servers on loopback, with HTTPS, the real virtual directories
/// and their healthcheck.htm, so the proxy can be seen at work without an Exchange organisation.
/// </summary>
public sealed class DemoCasServers : IAsyncDisposable
{
    private readonly List<WebApplication> _servers;

    private DemoCasServers(List<WebApplication> servers, IReadOnlyList<ServerOptions> addresses)
    {
        _servers = servers;
        Servers = addresses;
    }

    public IReadOnlyList<ServerOptions> Servers { get; }

    public static async Task<DemoCasServers> StartAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        var servers = new List<WebApplication>();
        var addresses = new List<ServerOptions>();
        foreach (var name in new[] { "exchange1", "exchange2" })
        {
            var app = Build(name, SelfSignedCertificate.Create($"{name}.demo.local", time));
            await app.StartAsync(cancellationToken);
            servers.Add(app);
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            addresses.Add(new ServerOptions { Name = name, Address = url });
        }

        return new DemoCasServers(servers, addresses);
    }

    private static WebApplication Build(string name, X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        // Not the operator's appsettings.json in the working directory: its listeners are the proxy's.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate));
        });
        var app = builder.Build();
        var fqdn = $"{name.ToUpperInvariant()}.DEMO.LOCAL";
        foreach (var vdir in ExchangeVirtualDirectories.All)
        {
            app.MapGet(vdir.Path + "/healthcheck.htm", () => Results.Text($"200 OK<br/>{fqdn}", "text/html"));
            app.Map(vdir.Path + "/{**rest}", (HttpContext context) => Results.Text(
                $"{name} answered {context.Request.Method} {context.Request.Path}{context.Request.QueryString}"
                + $" (Host: {context.Request.Host}, X-Forwarded-For: {context.Request.Headers["X-Forwarded-For"]})\n"));
        }

        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }
}
