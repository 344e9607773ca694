namespace ExchangeProxy.Configuration;

/// <summary>A plain-HTTP listener that sends every request to the same host and path over HTTPS (nginx's <c>return 301 https://$host$request_uri</c>).</summary>
public sealed class HttpRedirectOptions
{
    /// <summary>IP:port to listen on, e.g. "0.0.0.0:80".</summary>
    public string? Listen { get; set; }

    /// <summary>The HTTPS port clients are sent to: the one they reach (443 also when a container listens on 8443). Default 443.</summary>
    public int? HttpsPort { get; set; }
}
