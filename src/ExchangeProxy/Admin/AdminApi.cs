using System.Text.Json;
using System.Text.Json.Serialization;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Protection;

namespace ExchangeProxy.Admin;

/// <summary>
/// The admin listener's pages and API: the stats page and its data, <c>GET /api/servers</c> (every service and the
/// state of its servers), <c>POST /api/servers/{server}/{drain|maint|ready}</c>, optionally <c>?service=owa</c> for
/// one service, and HAProxy's other runtime commands (<see cref="RuntimeApi"/>).
/// </summary>
public static class AdminApi
{
    public const string Usage =
        "GET / (stats page), /;json, /;csv, /metrics; GET /api/servers; POST /api/servers/{server}/drain|maint|ready[?service=name]; "
        + "POST /api/servers/{server}/weight/{0-256|configured}[?service=name]; POST /api/servers/{server}/shutdown-sessions[?service=name]; "
        + "GET /api/tables[/{table}][?client=address&server=name]; POST /api/tables/{table}/clear[?client=address&server=name]; "
        + "GET /api/accounts; POST /api/accounts/unlock?user=|device=|address=; GET /health, /health/live, /health/ready";

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(AdminApi).Assembly.GetManifestResourceStream("StatsPage.html")
            ?? throw new InvalidOperationException("the stats page is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = true,
    };

    public static async Task HandleAsync(HttpContext context)
    {
        var segments = context.Request.Path.Value?.Trim('/').Split('/') ?? [];
        var method = context.Request.Method;
        switch (segments)
        {
            case [""] when HttpMethods.IsGet(method):
                context.Response.ContentType = "text/html; charset=utf-8";
                context.Response.Headers.CacheControl = "no-store";
                await context.Response.Body.WriteAsync(Page.Value);
                return;
            case [";json" or "stats.json"] when HttpMethods.IsGet(method):
                await context.Response.WriteAsJsonAsync(context.RequestServices.GetRequiredService<StatsCollector>().Build(), Json);
                return;
            case [";csv" or "stats.csv"] when HttpMethods.IsGet(method):
                context.Response.ContentType = "text/csv; charset=utf-8";
                await context.Response.WriteAsync(StatsCsv.Write(context.RequestServices.GetRequiredService<StatsCollector>().Build()));
                return;
            case ["api", "servers"] when HttpMethods.IsGet(method):
                var reports = context.RequestServices.GetRequiredService<ServiceReports>();
                await context.Response.WriteAsJsonAsync(new { services = reports.Build() }, Json);
                return;
            case ["api", "servers", var server, "weight", var weight] when HttpMethods.IsPost(method):
                await RuntimeApi.SetWeightAsync(context, server, weight);
                return;
            case ["api", "servers", var server, "shutdown-sessions"] when HttpMethods.IsPost(method):
                await RuntimeApi.ShutdownSessionsAsync(context, server);
                return;
            case ["api", "tables"] when HttpMethods.IsGet(method):
                await RuntimeApi.ShowTablesAsync(context, null);
                return;
            case ["api", "tables", var table] when HttpMethods.IsGet(method):
                await RuntimeApi.ShowTablesAsync(context, table);
                return;
            case ["api", "tables", var table, "clear"] when HttpMethods.IsPost(method):
                await RuntimeApi.ClearTableAsync(context, table);
                return;
            case ["api", "accounts"] when HttpMethods.IsGet(method):
                await context.Response.WriteAsJsonAsync(new { accounts = context.RequestServices.GetRequiredService<AccountGuard>().List() }, Json);
                return;
            case ["api", "accounts", "unlock"] when HttpMethods.IsPost(method):
                await UnlockAsync(context);
                return;
            case ["api", "servers", var server, var action] when HttpMethods.IsPost(method):
                await SetAsync(context, server, action, context.Request.Query["service"].ToString());
                return;
            default:
                await AnswerAsync(context, StatusCodes.Status404NotFound, $"Not found. The admin API: {Usage}");
                return;
        }
    }

    private static async Task SetAsync(HttpContext context, string server, string action, string service)
    {
        if (!Enum.TryParse<AdminState>(action, ignoreCase: true, out var state) || !Enum.IsDefined(state) || int.TryParse(action, out _))
        {
            await AnswerAsync(context, StatusCodes.Status400BadRequest, $"'{action}' is not drain, maint or ready");
            return;
        }

        if (await FindServerAsync(context, server, service) is not { } found)
        {
            return;
        }

        var (known, serviceName) = found;

        try
        {
            context.RequestServices.GetRequiredService<MaintenanceStates>().Set(known.Name, serviceName, state);
        }
        catch (IOException e)
        {
            await AnswerAsync(context, StatusCodes.Status500InternalServerError, $"nothing changed: {e.Message}");
            return;
        }

        await context.Response.WriteAsJsonAsync(new { server = known.Name, service = serviceName ?? "all", state }, Json);
    }

    /// <summary>Lifts a lockout: <c>?user=</c>, <c>?device=</c> or <c>?address=</c>.</summary>
    private static async Task UnlockAsync(HttpContext context)
    {
        var query = context.Request.Query;
        (AccountKind Kind, string Name)[] asked = [.. new[] { (AccountKind.User, "user"), (AccountKind.Device, "device"), (AccountKind.Address, "address") }
            .Where(k => query[k.Item2].ToString().Length > 0).Select(k => (k.Item1, query[k.Item2].ToString()))];
        if (asked.Length != 1)
        {
            await AnswerAsync(context, StatusCodes.Status400BadRequest, "say which to unlock: one of ?user=, ?device= or ?address=");
            return;
        }

        var (kind, name) = asked[0];
        if (!context.RequestServices.GetRequiredService<AccountGuard>().Unlock(kind, name))
        {
            await AnswerAsync(context, StatusCodes.Status404NotFound, $"no failed sign-ins or lockout of {kind.ToString().ToLowerInvariant()} '{name}'");
            return;
        }

        await context.Response.WriteAsJsonAsync(new { unlocked = name, kind }, Json);
    }

    /// <summary>The configured server of that name and, when <paramref name="service"/> is given, its service of that name; else answers 404 and returns null.</summary>
    internal static async Task<(BackendServer Server, string? Service)?> FindServerAsync(HttpContext context, string server, string service)
    {
        var model = context.RequestServices.GetRequiredService<ProxyModelStore>().Current;
        var known = model.Servers.FirstOrDefault(s => string.Equals(s.Name, server, StringComparison.OrdinalIgnoreCase));
        if (known is null)
        {
            await AnswerAsync(context, StatusCodes.Status404NotFound,
                $"unknown server '{server}'; the servers are {string.Join(", ", model.Servers.Select(s => s.Name))}");
            return null;
        }

        if (service.Length == 0)
        {
            return (known, null);
        }

        var serviceName = model.Pools.FirstOrDefault(s => string.Equals(s.Name, service, StringComparison.OrdinalIgnoreCase)
            && s.Servers.Contains(known))?.Name;
        if (serviceName is null)
        {
            await AnswerAsync(context, StatusCodes.Status404NotFound,
                $"'{service}' is not a service of {known.Name}; its services are "
                + string.Join(", ", model.Pools.Where(s => s.Servers.Contains(known)).Select(s => s.Name)));
            return null;
        }

        return (known, serviceName);
    }

    internal static Task AnswerAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = message }, Json);
    }
}
