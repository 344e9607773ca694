using ExchangeProxy.Balancing;
using ExchangeProxy.WindowsAuth;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.LoadBalancing;
using Yarp.ReverseProxy.SessionAffinity;

namespace ExchangeProxy.Http;

/// <summary>Layer 7 on YARP: the routes generated from the Exchange model beside the operator's own, the policies, the pipeline.</summary>
public static class HttpExtensions
{
    /// <param name="configuration">The whole configuration: its <c>ReverseProxy</c> section holds the operator's own routes.</param>
    public static IReverseProxyBuilder AddHttpProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IProxyConfigProvider, ExchangeProxyConfigProvider>();
        var proxy = services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddExchangePolicies()
            .AddTransforms<ForwardAttemptTransform>()
            .AddTransforms<ForwardedTargetTransform>();
        services.AddSingleton<BackendHttpClientFactory>();
        services.Replace(ServiceDescriptor.Singleton<IForwarderHttpClientFactory>(sp => sp.GetRequiredService<BackendHttpClientFactory>()));
        // YARP asks for data protection (cookie affinity, which the proxy does not use): keep its keys in
        // memory rather than writing a key ring into a read-only container.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        return proxy;
    }

    /// <summary>The balancing, affinity and availability policies the generated clusters name, with the state they read: for the proxy and the configuration check alike.</summary>
    public static IReverseProxyBuilder AddExchangePolicies(this IReverseProxyBuilder proxy)
    {
        proxy.Services.AddBalancing();
        proxy.Services.AddSingleton<ILoadBalancingPolicy, WeightedRoundRobinPolicy>();
        proxy.Services.AddSingleton<ILoadBalancingPolicy, WeightedLeastConnPolicy>();
        proxy.Services.AddSingleton<ILoadBalancingPolicy, SourceHashPolicy>();
        proxy.Services.AddSingleton<ISessionAffinityPolicy, ClientIpAffinityPolicy>();
        proxy.Services.AddSingleton<IAvailableDestinationsPolicy, ExchangeAvailableDestinations>();
        return proxy;
    }

    /// <summary>Believes X-Forwarded-For only from TrustedProxies: first, so everything after sees the real client.</summary>
    public static IApplicationBuilder UseTrustedForwardedHeaders(this IApplicationBuilder app) =>
        app.UseMiddleware<TrustedForwardedHeaders>();

    /// <summary>One log line per request (see <see cref="RequestLog"/>).</summary>
    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options => RequestLog.Configure(options, app.ApplicationServices.GetRequiredService<Serilog.ILogger>()));

    /// <summary>
    /// The Exchange routes and the operator's own, through YARP's pipeline with the proxy's steps in it; YARP's
    /// available destinations follow every change of a server's condition from now on.
    /// </summary>
    public static WebApplication MapExchangeProxy(this WebApplication app)
    {
        ExchangeAvailableDestinations.Follow(app.Services);
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<Protection.FirstChunkCheck>();
            proxy.Use(TransferCounts.Track);
            proxy.Use(FormSignIn.ReadAsync);
            proxy.Use(Protection.AccountProtection.GuardAsync);
            proxy.Use(ServiceLimits.Apply);
            proxy.Use(ProxyErrors.WriteReason);
            proxy.UseWindowsAuthPinning();
            proxy.UseSessionAffinity();
            proxy.UseMiddleware<NewClientsOnly>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
            proxy.UseMiddleware<RequestCounting>();
        });
        return app;
    }
}
