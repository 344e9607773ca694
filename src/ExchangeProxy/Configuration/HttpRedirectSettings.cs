using System.Net;

namespace ExchangeProxy.Configuration;

/// <param name="Listen">Where the plain-HTTP listener is bound.</param>
/// <param name="HttpsPort">The port of the HTTPS address clients are sent to; never one the client names.</param>
public sealed record HttpRedirectSettings(IPEndPoint Listen, int HttpsPort)
{
    public const int DefaultHttpsPort = 443;
}
