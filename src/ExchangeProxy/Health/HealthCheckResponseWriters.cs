using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ExchangeProxy.Health;

/// <summary>The status word alone, as text: what a load balancer in front or a plain monitor needs.</summary>
public static class HealthCheckResponseWriters
{
    public static Task WriteMinimalPlaintext(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(report.Status.ToString());
    }
}
