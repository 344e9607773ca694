using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>
/// ASP.NET Core health checks for monitoring. /health/live: the process serves. /health/ready: the first probe
/// round is done. /health: Healthy (200) when every server of every service is usable, Degraded (200) when
/// some are not or a certificate is due for renewal, Unhealthy (503) when a service has none. Public listeners
/// answer with the status word only; the admin listener adds the JSON detail per service and server (in the
/// AspNetCore.HealthChecks.UI format) and the certificates.
/// </summary>
public static class HealthEndpoints
{
    public const string HealthPath = "/health";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    internal const string LiveTag = "live";
    internal const string ReadyTag = "ready";
    internal const string ServicesTag = "services";
    internal const string ServicesCheck = "services";
    internal const string CertificatesCheck = "certificates";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>On the public listeners: status words only, nothing about the servers behind.</summary>
    internal static IEndpointRouteBuilder MapPublic(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, Options(LiveTag, detailed: false));
        endpoints.MapHealthChecks(ReadyPath, Options(ReadyTag, detailed: false));
        endpoints.MapHealthChecks(HealthPath, Options(ServicesTag, detailed: false));
        return endpoints;
    }

    /// <summary>On the admin listener, with the detail.</summary>
    internal static IApplicationBuilder UseDetailed(IApplicationBuilder admin) =>
        admin.UseHealthChecks(LivePath, Options(LiveTag, detailed: true))
            .UseHealthChecks(ReadyPath, Options(ReadyTag, detailed: true))
            .UseHealthChecks(HealthPath, Options(ServicesTag, detailed: true));

    private static HealthCheckOptions Options(string tag, bool detailed) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = detailed ? WriteDetailAsync : HealthCheckResponseWriters.WriteMinimalPlaintext,
    };

    private static Task WriteDetailAsync(HttpContext context, HealthReport report)
    {
        var entries = new Dictionary<string, object>();
        foreach (var (name, entry) in report.Entries)
        {
            if (name == ServicesCheck && entry.Data.TryGetValue(ServicesHealthCheck.ServicesKey, out var services))
            {
                foreach (var service in (IReadOnlyList<ServiceReport>)services)
                {
                    entries[service.Name] = new
                    {
                        status = service.Condition.ToString(),
                        description = $"{service.Servers.Count(s => s.Usable)} of {service.Servers.Count} servers usable",
                        data = new { path = service.Path, servers = service.Servers.Select(Describe) },
                    };
                }
            }
            else
            {
                entries[name] = new
                {
                    status = entry.Status.ToString(),
                    description = entry.Description,
                    duration = entry.Duration,
                    data = entry.Data.Count > 0 ? entry.Data : null,
                };
            }
        }

        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new { status = report.Status.ToString(), totalDuration = report.TotalDuration, entries }, Json);
    }

    private static object Describe(ServerReport server) => new
    {
        name = server.Name,
        state = server.State switch { ProbeState.Up => "UP", ProbeState.Down => "DOWN", _ => "UNKNOWN" },
        admin = server.Admin.ToString().ToUpperInvariant(),
        usable = server.Usable,
        passiveDown = server.PassiveDown,
        since = server.Since,
        checks = server.Checks,
        warning = server.Warning,
        lastCheck = server.Last is { } last
            ? new { type = server.Check.ToString(), ok = last.Ok, detail = last.Detail, latencyMs = Math.Round(last.Latency.TotalMilliseconds, 1), at = last.At }
            : null,
    };
}
