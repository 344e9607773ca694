using System.Globalization;

namespace ExchangeProxy.Configuration;

/// <summary>
/// The Kestrel endpoints the proxy declares for its own listeners (admin, HTTP redirect, layer 4), written into the accepted
/// configuration beside the operator's <c>Kestrel:Endpoints</c>, so that Kestrel binds, moves and unbinds them
/// on reload as it does the operator's own.
/// </summary>
public static class ProxyEndpoints
{
    public const string AdminName = "ExchangeProxy-Admin";
    public const string HttpRedirectName = "ExchangeProxy-HttpRedirect";
    private const string TcpPrefix = "ExchangeProxy-Tcp-";

    public static string TcpName(string listener) => TcpPrefix + listener;

    /// <summary>The configuration keys of the model's own listeners.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> For(ProxyModel model)
    {
        if (model.Admin.Url is { } admin)
        {
            foreach (var pair in Endpoint(AdminName, admin.GetLeftPart(UriPartial.Authority)))
            {
                yield return pair;
            }
        }

        if (model.HttpRedirect is { } redirect)
        {
            foreach (var pair in Endpoint(HttpRedirectName, string.Create(CultureInfo.InvariantCulture, $"http://{redirect.Listen}")))
            {
                yield return pair;
            }
        }

        foreach (var listener in model.TcpServices)
        {
            if (listener.Listen is { } endpoint)
            {
                var url = string.Create(CultureInfo.InvariantCulture, $"http://{endpoint}");
                foreach (var pair in Endpoint(TcpName(listener.Name), url))
                {
                    yield return pair;
                }
            }
        }
    }

    // Plain HTTP/1 to Kestrel: no TLS, and no HTTP/2 without TLS to warn about; the layer-4 connection handlers never speak HTTP anyway.
    private static IEnumerable<KeyValuePair<string, string?>> Endpoint(string name, string url) =>
    [
        new($"Kestrel:Endpoints:{name}:Url", url),
        new($"Kestrel:Endpoints:{name}:Protocols", "Http1"),
    ];
}
