using System.Globalization;
using Yarp.ReverseProxy.Forwarder;

namespace ExchangeProxy.Http;

/// <summary>Settings of the connections to the CAS servers that YARP's cluster config has no key for.</summary>
public static class BackendConnections
{
    public static void Configure(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        if (context.NewMetadata is { } metadata
            && metadata.TryGetValue(YarpModel.ConnectTimeoutMetadata, out var text)
            && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var timeout))
        {
            handler.ConnectTimeout = timeout;
        }
    }
}
