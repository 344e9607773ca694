namespace ExchangeProxy.WindowsAuth;

/// <summary>Wires NTLM/Negotiate pinning into YARP (transforms, health, pipeline); Hosting gives each client connection its state (<see cref="ClientConnections"/>).</summary>
public static class WindowsAuthExtensions
{
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
