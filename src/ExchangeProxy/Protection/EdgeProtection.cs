using System.Text.RegularExpressions;
using ExchangeProxy.Configuration;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace ExchangeProxy.Protection;

/// <summary>
/// Before routing and before anything is forwarded: the request target is read once as the server would read it
/// (<see cref="NormalizedTarget"/>), and routing, the exploit rules and the internal-only paths all decide on that
/// one reading, so no encoding or dot segment walks around them. Each refusal is logged with the rule and the
/// client, and counted per rule.
/// </summary>
public sealed partial class EdgeProtection
{
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
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path + request.QueryString;
        if (rawTarget == "*")
        {
            return _next(context);
        }

        if (NormalizedTarget.Parse(rawTarget, out var refusal) is not { } target)
        {
            return RefuseAsync(context, "MalformedTarget", RuleAction.Forbid, StatusCodes.Status400BadRequest, $"400 Refused: {refusal}.\n");
        }

        // Routing, the rules, InternalOnly and what follows read the path as the server will; the server gets it as the client encoded it.
        context.Features.Set(target);
        request.Path = target.Path;
        if (!request.Host.HasValue)
        {
            // HTTP/1.0 without Host (old monitors): the namespace the client reached, never the server's own address.
            var name = _models.Current.Namespace ?? context.Features.Get<ISslStreamFeature>()?.SslStream.TargetHostName;
            if (string.IsNullOrEmpty(name))
            {
                return RefuseAsync(context, "MissingHost", RuleAction.Forbid, StatusCodes.Status400BadRequest,
                    "400 Refused: a request without Host, on a connection without a TLS server name (ExchangeProxy:Namespace names the host to send).\n");
            }

            request.Host = new HostString(name);
        }

        if (FirstMatch(settings.Rules, target, request.Headers) is { } rule)
        {
            return RefuseAsync(context, rule.Name, rule.Action, StatusCodes.Status403Forbidden, "403 Request refused.\n");
        }

        foreach (var (prefix, networks) in settings.InternalOnly)
        {
            if (Under(target.Path, prefix) && (context.Connection.RemoteIpAddress is not { } client || !networks.Any(n => n.Contains(Unmapped(client)))))
            {
                return RefuseAsync(context, "InternalOnly", RuleAction.Forbid, StatusCodes.Status403Forbidden,
                    "403 This path is available on the internal network only.\n");
            }
        }

        return _next(context);
    }

    /// <summary>The first rule that matches the request, or null.</summary>
    internal EdgeRule? FirstMatch(IReadOnlyList<EdgeRule> rules, NormalizedTarget target, IHeaderDictionary headers)
    {
        string? query = null;
        foreach (var rule in rules)
        {
            var value = rule.Target switch
            {
                "Uri" => (query ??= target.DecodedQuery).Length == 0 ? target.Path : target.Path + "?" + query,
                "Path" => target.Path,
                "Query" => query ??= target.DecodedQuery,
                "Cookie" => NormalizedTarget.Decode(headers.Cookie.ToString()),
                _ => NormalizedTarget.Decode(headers[rule.Target[7..]].ToString()),
            };
            if (value.Length > 0 && Matches(rule, value))
            {
                return rule;
            }
        }

        return null;
    }

    /// <summary>
    /// Warns at start about what the configuration leaves open (ECP and PowerShell from any address) and about rules
    /// that cannot run in linear time.
    /// </summary>
    public static void WarnAtStart(ProxyModel model, ILogger logger)
    {
        foreach (var rule in model.Protection.Rules.Where(r => !r.IsLinear))
        {
            LogBacktracking(logger, rule.Name, EdgeRule.MatchTimeout.TotalMilliseconds);
        }

        foreach (var path in new[] { "/ecp", "/PowerShell" })
        {
            if (!model.Protection.InternalOnly.Keys.Any(p => Under(path, p)))
            {
                LogOpen(logger, path);
            }
        }
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
            // Only an operator's rule that needs backtracking can time out: a request built to make it backtrack
            // forever is refused, not waved through. The built-in rules run in linear time.
            LogTimeout(_logger, rule.Name);
            return true;
        }
    }

    private Task RefuseAsync(HttpContext context, string rule, RuleAction action, int status, string body)
    {
        LogBlocked(_logger, rule, context.Connection.RemoteIpAddress, context.Request.Method, context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "");
        if (action == RuleAction.Abort)
        {
            _refusals.Count(rule);
            context.Abort();
            return Task.CompletedTask;
        }

        return _refusals.RefuseAsync(context, rule, status, body);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Rule} from {ClientIp}: {Method} {Target}")]
    private static partial void LogBlocked(ILogger logger, string rule, System.Net.IPAddress? clientIp, string method, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} took too long to match; the request was refused")]
    private static partial void LogTimeout(ILogger logger, string rule);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rule {Rule} needs backtracking (lookarounds or backreferences): each match may take up to {TimeoutMs} ms, and a request that takes longer is refused")]
    private static partial void LogBacktracking(ILogger logger, string rule, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} is reachable from any address; ExchangeProxy:Protection:InternalOnly can keep it to your internal networks (/ecp also serves OWA users' options pages)")]
    private static partial void LogOpen(ILogger logger, string path);
}
