using ExchangeProxy.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeProxy.Protection;

/// <summary>Protection at the edge: exploit rules, internal-only paths and sign-in rate limits, before anything is forwarded.</summary>
public static class ProtectionExtensions
{
    public static IServiceCollection AddProtection(this IServiceCollection services)
    {
        services.TryAddSingleton<EdgeRefusals>();
        return services;
    }

    /// <summary>Warns at start about what the configuration leaves open.</summary>
    public static WebApplication UseProtection(this WebApplication app, ProxyModel model)
    {
        app.UseMiddleware<EdgeProtection>();
        app.UseMiddleware<SignInRateLimits>();
        EdgeProtection.WarnIfOpen(model, app.Logger);
        return app;
    }
}
