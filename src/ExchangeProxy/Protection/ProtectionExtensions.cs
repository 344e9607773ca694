using ExchangeProxy.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ExchangeProxy.Protection;

/// <summary>Protection at the edge: exploit rules, internal-only paths and sign-in rate limits, before anything is forwarded.</summary>
public static class ProtectionExtensions
{
    public static IServiceCollection AddProtection(this IServiceCollection services)
    {
        services.TryAddSingleton<EdgeRefusals>();
        services.TryAddSingleton<AccountGuard>();
        services.TryAddSingleton<SharedAccounts>();
        return services;
    }

    /// <summary>
    /// The edge, then routing: routes are matched on the path the edge read, never on the raw one. Warns at start
    /// about what the configuration leaves open.
    /// </summary>
    public static WebApplication UseProtection(this WebApplication app, ProxyModel model)
    {
        app.UseMiddleware<StrictRequests>();
        app.UseMiddleware<EdgeProtection>();
        app.UseRouting();
        app.UseMiddleware<SignInRateLimits>();
        app.Services.GetRequiredService<SharedAccounts>().Follow(app.Services.GetRequiredService<ProxyModelStore>());
        EdgeProtection.WarnAtStart(model, app.Logger);
        return app;
    }
}
