using System.Globalization;
using System.Net;
using ExchangeProxy.Balancing;
using ExchangeProxy.Http;
using ExchangeProxy.Tcp;
using ExchangeProxy.WindowsAuth;

namespace ExchangeProxy.Admin;

/// <summary>
/// HAProxy's runtime commands beside drain/maint/ready: <c>set weight</c>, <c>show table</c>, <c>clear table</c>,
/// <c>shutdown sessions server</c>. Weights are kept and shared as maintenance states are.
/// </summary>
public static partial class RuntimeApi
{
    /// <summary>HAProxy's highest weight.</summary>
    public const int MaxWeight = 256;

    public static async Task SetWeightAsync(HttpContext context, string server, string value)
    {
        int? weight = null;
        if (!string.Equals(value, "configured", StringComparison.OrdinalIgnoreCase))
        {
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > MaxWeight)
            {
                await AdminApi.AnswerAsync(context, StatusCodes.Status400BadRequest,
                    $"'{value}' is not a weight: a whole number from 0 (no new clients) to {MaxWeight}, or 'configured'");
                return;
            }

            weight = number;
        }

        if (await AdminApi.FindServerAsync(context, server, context.Request.Query["service"].ToString()) is not { } found)
        {
            return;
        }

        var (known, service) = found;

        try
        {
            context.RequestServices.GetRequiredService<MaintenanceStates>().SetWeight(known.Name, service, weight);
        }
        catch (IOException e)
        {
            await AdminApi.AnswerAsync(context, StatusCodes.Status500InternalServerError, $"nothing changed: {e.Message}");
            return;
        }

        await context.Response.WriteAsJsonAsync(
            new { server = known.Name, service = service ?? "all", weight = weight is null ? "configured" : weight.Value.ToString(CultureInfo.InvariantCulture) },
            AdminApi.Json);
    }

    public static async Task ShutdownSessionsAsync(HttpContext context, string server)
    {
        if (await AdminApi.FindServerAsync(context, server, context.Request.Query["service"].ToString()) is not { } found)
        {
            return;
        }

        var (known, service) = found;

        var tcp = context.RequestServices.GetRequiredService<IdleSweeper>().Kill(known.Name, service);
        var pinned = context.RequestServices.GetRequiredService<PinnedConnections>()
            .CloseServer(known.Name, service is null ? null : YarpModel.IdOf(service));
        LogShutdown(Logger(context), known.Name, service ?? "all services", tcp, pinned);
        await context.Response.WriteAsJsonAsync(
            new { server = known.Name, service = service ?? "all", layer4Sessions = tcp, pinnedConnections = pinned }, AdminApi.Json);
    }

    public static async Task ShowTablesAsync(HttpContext context, string? name)
    {
        if (await FilterAsync(context, name) is not { } found)
        {
            return;
        }

        var (tables, client, server) = found;

        await context.Response.WriteAsJsonAsync(new
        {
            tables = tables.Select(t =>
            {
                var key = client is null ? (ClientKey?)null : t.KeyOf(client);
                var entries = t.Snapshot().Where(e => (key is null || e.Key == key)
                    && (server is null || string.Equals(e.Server, server, StringComparison.OrdinalIgnoreCase))).ToList();
                return new
                {
                    table = t.Name,
                    size = t.Settings.Size,
                    expire = t.Settings.Expire,
                    count = entries.Count,
                    entries = entries.Select(e => new { client = e.Key.ToString(), server = e.Server, expiresInSeconds = Math.Round(e.Remaining.TotalSeconds) }),
                };
            }),
        }, AdminApi.Json);
    }

    public static async Task ClearTableAsync(HttpContext context, string name)
    {
        if (await FilterAsync(context, name) is not { } found)
        {
            return;
        }

        var (tables, client, server) = found;

        var table = tables[0];
        var (local, shared) = await context.RequestServices.GetRequiredService<StickTables>()
            .ClearAsync(table, client is null ? null : table.KeyOf(client), server);
        LogCleared(Logger(context), table.Name, client?.ToString() ?? "any client", server ?? "any server", local,
            shared?.ToString(CultureInfo.InvariantCulture) ?? "none (no Redis, or it did not answer)");
        await context.Response.WriteAsJsonAsync(new { table = table.Name, cleared = local, clearedInRedis = shared }, AdminApi.Json);
    }

    /// <summary>The tables asked for (one by name, or all) and the <c>client</c> and <c>server</c> filters; else answers 400/404 and returns null.</summary>
    private static async Task<(IReadOnlyList<StickTable> Tables, IPAddress? Client, string? Server)?> FilterAsync(HttpContext context, string? name)
    {
        var all = context.RequestServices.GetRequiredService<StickTables>().All;
        IReadOnlyList<StickTable> tables = [.. all.OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase)];
        if (name is not null)
        {
            if (all.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase)) is not { } table)
            {
                await AdminApi.AnswerAsync(context, StatusCodes.Status404NotFound,
                    $"no stick table '{name}'; the tables are {(all.Count == 0 ? "none (no service has Affinity)" : string.Join(", ", all.Select(t => t.Name)))}");
                return null;
            }

            tables = [table];
        }

        IPAddress? client = null;
        var clientText = context.Request.Query["client"].ToString();
        if (clientText.Length > 0 && !IPAddress.TryParse(clientText, out client))
        {
            await AdminApi.AnswerAsync(context, StatusCodes.Status400BadRequest, $"'{clientText}' is not an IP address");
            return null;
        }

        var server = context.Request.Query["server"].ToString();
        return (tables, client, server.Length > 0 ? server : null);
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RuntimeApi).FullName!);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sessions of server {Server} shut down for {Service}: {Layer4} layer-4 sessions, {Pinned} pinned connections")]
    private static partial void LogShutdown(ILogger logger, string server, string service, int layer4, int pinned);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stick table {Table} cleared for {Client} and {Server}: {Local} entries here, in Redis {Shared}")]
    private static partial void LogCleared(ILogger logger, string table, string client, string server, int local, string shared);
}
