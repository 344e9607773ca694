namespace ExchangeProxy.WindowsAuth;

/// <summary>Wires NTLM/Negotiate pinning into Kestrel (per-connection state) and YARP (transforms, health, pipeline).</summary>
public static class WindowsAuthExtensions
{
    /// <summary>Before any listener is declared: endpoint defaults apply to the listeners declared after them.</summary>
    public static IWebHostBuilder TrackClientConnections(this IWebHostBuilder webHost) =>
        webHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(ClientConnections.Track));

    public static IReverseProxyBuilder AddWindowsAuthPinning(this IReverseProxyBuilder proxy)
    {
        proxy.Services.AddSingleton<PinnedConnections>();
        proxy.AddTransforms<WindowsAuthOverHttp2>();
        PinClosingHealthUpdater.Decorate(proxy.Services);
        return proxy;
    }

    /// <summary>Pins close as soon as the one health truth takes their server out.</summary>
    public static WebApplication UseWindowsAuth(this WebApplication app)
    {
        PinClosingHealthUpdater.Follow(app.Services);
        return app;
    }

    /// <summary>In the proxy pipeline before affinity and load balancing, which it narrows to the pinned server.</summary>
    public static IApplicationBuilder UseWindowsAuthPinning(this IApplicationBuilder proxy) =>
        proxy.UseMiddleware<WindowsAuthPinning>();
}
