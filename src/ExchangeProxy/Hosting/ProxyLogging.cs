using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace ExchangeProxy.Hosting;

/// <summary>
/// Serilog for everything: compact JSON on the console in production and in containers (for log shippers),
/// readable text in development. The <c>Serilog</c> section of appsettings.json can change levels.
/// </summary>
public static class ProxyLogging
{
    public static void Configure(WebApplicationBuilder builder)
    {
        var json = builder.Environment.IsProduction()
            || string.Equals(Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER"), "true", StringComparison.OrdinalIgnoreCase);
        // Serilog writes the console; other providers (a test's log capture) still receive every event.
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (_, logger) =>
        {
            logger.MinimumLevel.Information()
                // The request log replaces ASP.NET Core's and YARP's per-request lines.
                .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
                .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
                .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
                .ReadFrom.Configuration(builder.Configuration)
                .Enrich.FromLogContext();
            if (json)
            {
                logger.WriteTo.Sink(
                    new BatchedConsoleSink(new RenderedCompactJsonFormatter(), Console.OpenStandardOutput()), BatchedConsoleSink.Batching);
            }
            else
            {
                logger.WriteTo.Console(outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}");
            }
        },
            // Each host logs through its own logger, not the process-wide static one (tests run several hosts).
            preserveStaticLogger: true,
            writeToProviders: true);
    }
}
