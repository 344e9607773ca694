namespace ExchangeProxy.Http;

/// <summary>Bytes of body carried for one proxied request, for the request log.</summary>
public sealed class TransferCounts
{
    public long RequestBytes { get; set; }
    public long ResponseBytes { get; set; }

    /// <summary>Counts what the proxy reads from the client and writes back to it.</summary>
    public static Task Track(HttpContext context, Func<Task> next)
    {
        var counts = new TransferCounts();
        context.Features.Set(counts);
        context.Request.Body = new CountingReadStream(context.Request.Body, counts);
        context.Response.Body = new CountingWriteStream(context.Response.Body, counts);
        return next();
    }
}
