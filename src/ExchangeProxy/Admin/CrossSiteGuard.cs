namespace ExchangeProxy.Admin;

/// <summary>
/// A web page an administrator opens can make the browser post a form to the admin listener (loopback with no key
/// is the default), carrying the browser's remembered basic credentials. So a state-changing request must carry
/// what such a page cannot send without a CORS preflight, which this listener never grants: the header
/// <see cref="HeaderName"/> (the stats page sends it), the API key header, a bearer token, or an Origin that is
/// this listener's own. Without credentials configured, the Host must name loopback too, so a DNS name rebound to
/// 127.0.0.1 does not make a foreign page same-origin.
/// </summary>
public sealed partial class CrossSiteGuard(RequestDelegate next, ILogger<CrossSiteGuard> logger, ExchangeProxy.Configuration.ProxyModelStore models)
{
    public const string HeaderName = "X-ExchangeProxy-Admin";

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!models.Current.Admin.RequiresCredentials && !NamesLoopback(request.Host.Host))
        {
            return RefuseAsync(context, $"Host '{request.Host}' is not a loopback address; without credentials the admin listener answers only to its loopback name");
        }

        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return next(context);
        }

        var headers = request.Headers;
        if (!string.IsNullOrEmpty(headers[HeaderName]) || !string.IsNullOrEmpty(headers["X-Api-Key"])
            || headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || SameOrigin(request))
        {
            return next(context);
        }

        return RefuseAsync(context, $"a {request.Method} needs the header {HeaderName} (any value) or the API key: a page on another site cannot send either");
    }

    private static bool SameOrigin(HttpRequest request) =>
        request.Headers.Origin.ToString() is { Length: > 0 } origin
        && Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static bool NamesLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    private Task RefuseAsync(HttpContext context, string reason)
    {
        LogRefused(logger, context.Request.Method, context.Request.Path, context.Connection.RemoteIpAddress, context.Request.Headers.Origin.ToString(), reason);
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync($"403 Refused: {reason}.\n");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admin listener refused {Method} {Path} from {ClientIp} (Origin {Origin}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, System.Net.IPAddress? clientIp, string origin, string reason);
}
