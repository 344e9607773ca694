namespace ExchangeProxy.Http;

/// <summary>
/// Sends a request carrying <c>Expect: 100-continue</c> with its body in an <see cref="ExpectContinueContent"/>,
/// watched on its connection (<see cref="ExpectContinueStream"/>, installed by <see cref="BackendHttpClientFactory"/>).
/// </summary>
public sealed class ExpectContinueHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        request.Content is not null && request.Headers.ExpectContinue == true
            ? SendWatchedAsync(request, cancellationToken)
            : base.SendAsync(request, cancellationToken);

    private async Task<HttpResponseMessage> SendWatchedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not ExpectContinueContent content)
        {
            content = new ExpectContinueContent(request.Content!);
            request.Content = content;
        }

        content.Begin();
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            content.End();
        }
    }
}
