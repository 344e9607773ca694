using System.Text.RegularExpressions;
using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.Http.Features;

namespace ExchangeProxy.Protection;

/// <summary>
/// Before anything is forwarded: the exploit rules look at the request as the backend would understand it (the raw target
/// percent-decoded until it stops changing, backslashes as slashes, so double encoding does not slip past);
/// internal-only paths answer only the configured networks. Each refusal is logged with the rule and the
/// client, and counted per rule.
/// </summary>
public sealed partial class EdgeProtection
{
    private const int MaxDecodingPasses = 4;

    private readonly RequestDelegate _next;
    private readonly ProxyModelStore _models;
    private readonly ILogger<EdgeProtection> _logger;
    private readonly EdgeRefusals _refusals;

    public EdgeProtection(RequestDelegate next, ProxyModelStore models, ILogger<EdgeProtection> logger, EdgeRefusals refusals)
    {
        _next = next;
        _models = models;
        _logger = logger;
        _refusals = refusals;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var settings = _models.Current.Protection;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        var decoded = Decode(target);
        var query = decoded.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? decoded : decoded[..query];
        foreach (var rule in settings.Rules)
        {
            var value = rule.Target switch
            {
                "Uri" => decoded,
                "Path" => path,
                "Query" => query < 0 ? "" : decoded[(query + 1)..],
                "Cookie" => Decode(request.Headers.Cookie.ToString()),
                _ => Decode(request.Headers[rule.Target[7..]].ToString()),
            };
            if (value.Length > 0 && Matches(rule, value))
            {
                return RefuseAsync(context, rule.Name, rule.Action, StatusCodes.Status403Forbidden, "403 Request refused.\n");
            }
        }

        foreach (var (prefix, networks) in settings.InternalOnly)
        {
            if (Under(path, prefix) && (context.Connection.RemoteIpAddress is not { } client || !networks.Any(n => n.Contains(Unmapped(client)))))
            {
                return RefuseAsync(context, "InternalOnly", RuleAction.Forbid, StatusCodes.Status403Forbidden,
                    "403 This path is available on the internal network only.\n");
            }
        }

        return _next(context);
    }

    /// <summary>Warns at start about what the default leaves open: ECP and PowerShell from any address.</summary>
    public static void WarnIfOpen(ProxyModel model, ILogger logger)
    {
        foreach (var path in new[] { "/ecp", "/PowerShell" })
        {
            if (!model.Protection.InternalOnly.Keys.Any(p => Under(path, p)))
            {
                LogOpen(logger, path);
            }
        }
    }

    /// <summary>Percent-decodes until nothing changes (attackers double-encode), and reads backslashes as IIS does.</summary>
    internal static string Decode(string value)
    {
        for (var pass = 0; pass < MaxDecodingPasses && value.Contains('%', StringComparison.Ordinal); pass++)
        {
            var next = Uri.UnescapeDataString(value);
            if (next == value)
            {
                break;
            }

            value = next;
        }

        return value.Contains('\\', StringComparison.Ordinal) ? value.Replace('\\', '/') : value;
    }

    private static bool Under(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] is '/' or '?');

    private static System.Net.IPAddress Unmapped(System.Net.IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private bool Matches(EdgeRule rule, string value)
    {
        try
        {
            return rule.Pattern.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            // A request built to make a rule backtrack forever is refused, not waved through.
            LogTimeout(_logger, rule.Name);
            return true;
        }
    }

    private Task RefuseAsync(HttpContext context, string rule, RuleAction action, int status, string body)
    {
        _refusals.Count(rule);
        LogBlocked(_logger, rule, context.Connection.RemoteIpAddress, context.Request.Method, context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "");
        if (action == RuleAction.Abort)
        {
            context.Abort();
            return Task.CompletedTask;
        }

        context.Response.StatusCode = status;
        context.Response.Headers.Connection = "close";
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(body);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Rule} from {ClientIp}: {Method} {Target}")]
    private static partial void LogBlocked(ILogger logger, string rule, System.Net.IPAddress? clientIp, string method, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} took too long to match; the request was refused")]
    private static partial void LogTimeout(ILogger logger, string rule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} is reachable from any address; ExchangeProxy:Protection:InternalOnly can keep it to your internal networks (/ecp also serves OWA users' options pages)")]
    private static partial void LogOpen(ILogger logger, string path);
}
