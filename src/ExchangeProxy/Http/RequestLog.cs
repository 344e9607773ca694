using Serilog;
using Serilog.AspNetCore;
using Serilog.Events;
using Yarp.ReverseProxy.Model;

namespace ExchangeProxy.Http;

/// <summary>One structured log line per request: who (address, and the account and device where the request shows them), what, which service and server, outcome, time, bytes.</summary>
public static class RequestLog
{
    public const string Template =
        "{ClientIp} {User} {RequestMethod} {RequestPath} -> {Service}/{Server} {StatusCode} in {Elapsed:0.0} ms, {BytesIn} B in, {BytesOut} B out, device {DeviceType} {DeviceId}";

    public static void Configure(RequestLoggingOptions options, Serilog.ILogger logger)
    {
        // Without it the middleware writes through the static Log.Logger.
        options.Logger = logger;
        options.MessageTemplate = Template;
        options.EnrichDiagnosticContext = Enrich;
        options.GetLevel = Level;
    }

    private static void Enrich(IDiagnosticContext diagnostics, HttpContext context)
    {
        diagnostics.Set("ClientIp", context.Connection.RemoteIpAddress?.ToString());
        var signIn = SignIn.Read(context);
        diagnostics.Set("User", signIn.User ?? "-");
        diagnostics.Set("DeviceId", signIn.DeviceId ?? "-");
        diagnostics.Set("DeviceType", signIn.DeviceType ?? "-");
        var proxy = context.Features.Get<IReverseProxyFeature>();
        diagnostics.Set("Service", ServiceOf(proxy));
        diagnostics.Set("Server", proxy?.ProxiedDestination?.DestinationId ?? "-");
        var counts = context.Features.Get<TransferCounts>();
        diagnostics.Set("BytesIn", counts?.RequestBytes ?? 0);
        diagnostics.Set("BytesOut", counts?.ResponseBytes ?? 0);
    }

    private static string ServiceOf(IReverseProxyFeature? proxy)
    {
        if (proxy is null)
        {
            return "-";
        }

        var route = proxy.Route.Config;
        return route.Metadata is { } metadata && metadata.TryGetValue(YarpModel.ServiceMetadata, out var service)
            ? service
            : route.RouteId;
    }

    // Monitoring polls /health every few seconds; those lines would drown the traffic.
    private static LogEventLevel Level(HttpContext context, double elapsedMs, Exception? error) =>
        error is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
        : context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) ? LogEventLevel.Verbose
        : LogEventLevel.Information;
}
