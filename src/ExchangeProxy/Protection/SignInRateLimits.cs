using System.Net;
using System.Threading.RateLimiting;
using ExchangeProxy.Configuration;
using ExchangeProxy.Http;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Protection;

/// <summary>
/// Per client address (as the proxy trusts it), with System.Threading.RateLimiting fixed windows: sign-in
/// form posts to OWA and ECP, and the 401 answers a client collects on Windows auth services (password
/// spraying: each failed attempt is a 401). Over a limit: 429 with Retry-After, logged. Both off by default.
/// </summary>
public sealed partial class SignInRateLimits(RequestDelegate next, ProxyModelStore models, ILogger<SignInRateLimits> logger) : IDisposable
{
    private readonly Limiters _formLogins = new();
    private readonly Limiters _unauthorized = new();

    public async Task InvokeAsync(HttpContext context)
    {
        var protection = models.Current.Protection;
        var client = context.Connection.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address) : IPAddress.None;

        if (protection.FormLogins is { } logins && IsFormLogin(context.Request))
        {
            using var lease = _formLogins.For(logins).AttemptAcquire(client);
            if (!lease.IsAcquired)
            {
                await RefuseAsync(context, "FormLogins", client, lease, logins.Window);
                return;
            }
        }

        var spraying = protection.Unauthorized is { } unauthorized && IsWindowsAuth(context) ? _unauthorized.For(unauthorized) : null;
        if (spraying is not null && spraying.GetStatistics(client)?.CurrentAvailablePermits == 0)
        {
            using var probe = spraying.AttemptAcquire(client, 0);
            await RefuseAsync(context, "Unauthorized", client, probe, protection.Unauthorized!.Window);
            return;
        }

        await next(context);
        if (spraying is not null && context.Response.StatusCode == StatusCodes.Status401Unauthorized)
        {
            using var _ = spraying.AttemptAcquire(client);
        }
    }

    private static bool IsFormLogin(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (request.Path.Equals("/owa/auth.owa", StringComparison.OrdinalIgnoreCase) || request.Path.Equals("/ecp/auth.owa", StringComparison.OrdinalIgnoreCase));

    private static bool IsWindowsAuth(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is { } route && YarpModel.IsWindowsAuth(route.Config);

    private Task RefuseAsync(HttpContext context, string limit, IPAddress client, RateLimitLease lease, TimeSpan window)
    {
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
        LogLimited(logger, limit, client, context.Request.Method, context.Request.Path);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("429 Too many attempts from this address; try again later.\n");
    }

    public void Dispose()
    {
        _formLogins.Dispose();
        _unauthorized.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit {Limit} reached by {ClientIp}: {Method} {Path} answered 429")]
    private static partial void LogLimited(ILogger logger, string limit, IPAddress clientIp, string method, string path);

    /// <summary>One partitioned limiter per setting, rebuilt when a reload changes it.</summary>
    private sealed class Limiters : IDisposable
    {
        private readonly Lock _lock = new();
        private (RateLimit Settings, PartitionedRateLimiter<IPAddress> Limiter)? _current;

        public PartitionedRateLimiter<IPAddress> For(RateLimit settings)
        {
            lock (_lock)
            {
                if (_current is not { } current || current.Settings != settings)
                {
                    _current?.Limiter.Dispose();
                    current = (settings, PartitionedRateLimiter.Create<IPAddress, IPAddress>(client => RateLimitPartition.GetFixedWindowLimiter(client,
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.PermitLimit, Window = settings.Window, QueueLimit = 0 })));
                    _current = current;
                }

                return current.Limiter;
            }
        }

        public void Dispose() => _current?.Limiter.Dispose();
    }
}
