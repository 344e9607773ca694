using System.Net;
using ExchangeProxy.Admin;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using ExchangeProxy.Demo;
using ExchangeProxy.Health;
using ExchangeProxy.Http;
using ExchangeProxy.Protection;
using ExchangeProxy.Tcp;
using ExchangeProxy.WindowsAuth;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace ExchangeProxy.Hosting;

/// <summary>Composes the proxy: configuration, logging, Kestrel, YARP, health, and the demo when asked for.</summary>
public static partial class ProxyApp
{
    public const int DemoPort = 5443;

    /// <exception cref="ConfigurationRejectedException">The configuration is unusable; nothing was started.</exception>
    public static async Task<WebApplication> CreateAsync(ProxyCommandLine commandLine, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [.. commandLine.HostArgs],
            // The demo is for reading: readable logs unless an environment was chosen.
            EnvironmentName = commandLine.Demo && Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is null
                && Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is null ? Environments.Development : null,
        });
        var file = ReadConfiguration(builder, commandLine);
        ProxyLogging.Configure(builder);
        // Before any listener is declared (the demo's too): endpoint defaults apply to the listeners declared after them.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            kestrel.ApplicationServices.GetRequiredService<ConnectionLimit>().Apply(listen);
            ClientConnections.Track(listen);
            InspectedConnection.Install(listen);
        }));
        configure?.Invoke(builder);

        // Certificates and the demo's servers live in real time; the proxy's clock can be replaced (tests do).
        var time = TimeProvider.System;
        DemoCasServers? demo = null;
        if (commandLine.Demo)
        {
            demo = await StartDemoAsync(builder, commandLine.ConfigPath, time);
        }

        try
        {
            var check = await ConfigCheck.RunAsync(builder.Configuration, checkListenerCertificates: !commandLine.Demo);
            if (check.Model is null)
            {
                throw new ConfigurationRejectedException(commandLine.ConfigPath, check.Errors);
            }

            var accepted = new AcceptedConfiguration(builder.Configuration, check.Model, keepOperatorEndpoints: demo is null);
            var app = Compose(builder, check.Model, accepted, commandLine.ConfigPath, demo);
            file.ReloadRejected += app.Services.GetRequiredService<ProxyModelStore>().RejectUnreadableFile;
            var paths = string.Join(", ", check.Model.Services.Select(s => s.Path));
            LogConfiguration(app.Logger, commandLine.ConfigPath, check.Model.Servers.Count, paths);
            return app;
        }
        catch
        {
            if (demo is not null)
            {
                await demo.DisposeAsync();
            }

            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no new connections; requests and connections in flight have {GracePeriod} to finish")]
    private static partial void LogStopping(Microsoft.Extensions.Logging.ILogger logger, TimeSpan gracePeriod);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration {ConfigPath}: {ServerCount} servers, services {Services}")]
    private static partial void LogConfiguration(Microsoft.Extensions.Logging.ILogger logger, string configPath, int serverCount, string services);

    private static GuardedJsonConfigurationSource ReadConfiguration(WebApplicationBuilder builder, ProxyCommandLine commandLine)
    {
        // THE file the operator edits, wherever it is; then environment variables and switches override it.
        var sources = builder.Configuration.Sources;
        sources.Clear();
        if (!commandLine.Demo && !File.Exists(commandLine.ConfigPath))
        {
            throw new ConfigurationRejectedException(commandLine.ConfigPath,
                [new ConfigError("--config", $"configuration file '{commandLine.ConfigPath}' does not exist")]);
        }

        var file = new GuardedJsonConfigurationSource
        {
            Path = commandLine.ConfigPath,
            Optional = commandLine.Demo,
            ReloadOnChange = true,
        };
        file.ResolveFileProvider();
        ((IConfigurationBuilder)builder.Configuration).Add(file);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine([.. commandLine.HostArgs]);
        return file;
    }

    private static async Task<DemoCasServers> StartDemoAsync(WebApplicationBuilder builder, string configPath, TimeProvider time)
    {
        var configured = builder.Configuration.GetSection($"{ExchangeProxyOptions.SectionName}:Servers").GetChildren().ToList();
        if (configured.Count > 0)
        {
            throw new ConfigurationRejectedException(configPath,
                [new ConfigError($"{ExchangeProxyOptions.SectionName}:Servers",
                    $"--demo runs its own fake CAS servers and refuses to start while real servers are configured ({configured.Count} listed)")]);
        }

        var demo = await DemoCasServers.StartAsync(time, CancellationToken.None);
        var settings = new Dictionary<string, string?>
        {
            // The fake servers present throwaway self-signed certificates; only the demo accepts them.
            [$"{ExchangeProxyOptions.SectionName}:AcceptAnyServerCertificate"] = "true",
        };
        for (var i = 0; i < demo.Servers.Count; i++)
        {
            settings[$"{ExchangeProxyOptions.SectionName}:Servers:{i}:Name"] = demo.Servers[i].Name;
            settings[$"{ExchangeProxyOptions.SectionName}:Servers:{i}:Address"] = demo.Servers[i].Address;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        var port = builder.Configuration.GetValue("Demo:Port", DemoPort);
        var certificate = SelfSignedCertificate.Create("localhost", time);
        // The demo's fake servers present throwaway certificates of their own: there is no Extended Protection to check.
        builder.Services.AddSingleton(new ListenerCertificates(null, [], NullLogger<ListenerCertificates>.Instance));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The operator's listeners (and their certificate files) are not the demo's business: UseHttps loads the
            // configuration it finds here, so none, until Compose puts the accepted one (without them) in its place.
            kestrel.Configure(new ConfigurationBuilder().Build());
            kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate));
        });
        return demo;
    }

    /// <summary>The concerns, each registered by its own folder, then the request pipeline in order.</summary>
    private static WebApplication Compose(
        WebApplicationBuilder builder, ProxyModel model, AcceptedConfiguration accepted, string configPath, DemoCasServers? demo)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Kerberos tokens of users in many groups: 64 KB of headers by default (Kestrel: 32 KB); Kestrel:Limits overrides.
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            // OWA's long URLs (attachment and item ids in the query) up to 16 KB and then some (Kestrel: 8 KB).
            kestrel.Limits.MaxRequestLineSize = 32 * 1024;
            // Every endpoint, the operator's and the proxy's own, from the accepted configuration: a refused edit moves none.
            kestrel.Configure(accepted.Root.GetSection("Kestrel"), reloadOnChange: true);
            var services = kestrel.ApplicationServices;
            var loader = kestrel.ConfigurationLoader!.DeclareAdminEndpoint(services).DeclareHttpRedirectEndpoint(services).DeclareTcpEndpoints(model, services);
            services.GetRequiredService<ProxyModelStore>().Accepting += next => loader.DeclareTcpEndpoints(next, services);
        });

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        // SIGTERM: Kestrel stops accepting, and waits this long for requests and connections in flight.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = model.ShutdownGracePeriod);
        services.AddSingleton<ListenerEndpoints>();
        services.AddSingleton<ConnectionLimit>();
        services.AddHostedService<MemoryTrim>();
        // Over Kestrel's own (registered before): uploads are read 32 KB per system call instead of 4 KB.
        services.AddSingleton<LargeBlockMemoryPoolFactory>();
        services.AddSingleton<IMemoryPoolFactory<byte>>(s => s.GetRequiredService<LargeBlockMemoryPoolFactory>());
        services.FollowTotalHeaderSize(accepted.Root);
        services.AddProxyModel(model, accepted, builder.Configuration, checkListenerCertificates: demo is null)
            .AddBalancing()
            .AddHealth(accepted.Root)
            .AddProtection()
            .AddTcpProxy()
            .AddAdmin(configPath)
            .AddHttpProxy(accepted.Root)
            .AddWindowsAuthPinning();

        var app = builder.Build();
        var store = app.Services.GetRequiredService<ProxyModelStore>();
        // The host reads its options once; the grace period it waits on SIGTERM follows each reload.
        var host = app.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        ChangeToken.OnChange(() => store.ChangeToken, () => host.ShutdownTimeout = store.Current.ShutdownGracePeriod);
        app.Lifetime.ApplicationStopping.Register(() => LogStopping(app.Logger, store.Current.ShutdownGracePeriod));
        if (demo is not null)
        {
            app.Lifetime.ApplicationStopped.Register(() => demo.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }

        app.UseBalancing().UseWindowsAuth();
        app.UseTrustedForwardedHeaders();
        app.UseRequestLog();
        app.UseAdmin();
        app.UseProtection(model);
        app.UseHttpsRedirect();
        app.UseRootRedirect();
        app.MapHealth();
        app.MapExchangeProxy();
        return app;
    }
}
