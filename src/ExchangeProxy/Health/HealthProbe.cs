using System.Net;

namespace ExchangeProxy.Health;

/// <summary>
/// <c>ExchangeProxy --probe URL</c>: exits 0 when the URL answers 200. The container's HEALTHCHECK uses it,
/// as the runtime image has no curl.
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(string url, TextWriter error)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address)
            || !IPAddress.IsLoopback(address))
        {
            await error.WriteLineAsync($"--probe takes a loopback URL such as https://127.0.0.1:443/health/live, not '{url}'");
            return 2;
        }

        // The listener presents the Exchange namespace's certificate, never valid for 127.0.0.1; the probe only talks to itself.
        using var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => IPAddress.IsLoopback(address) },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await client.GetAsync(uri);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return 0;
            }

            await error.WriteLineAsync($"{uri} answered {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await error.WriteLineAsync($"{uri}: {e.Message}");
        }

        return 1;
    }
}
