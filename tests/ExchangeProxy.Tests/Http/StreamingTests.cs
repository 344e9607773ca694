using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

public sealed class StreamingTests : TwoCasServersTest
{
    private const int Sent = 8 * 1024 * 1024;

    [Fact]
    public async Task An_rpc_in_data_body_announced_at_one_gigabyte_streams_through_without_buffering()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync("""
            RPC_IN_DATA /rpc/rpcproxy.dll?exchange1.contoso.test:6001 HTTP/1.1
            Host: mail.contoso.test
            Content-Length: 1073741824

            """);
        var chunk = new byte[64 * 1024];
        for (var written = 0; written < Sent; written += chunk.Length)
        {
            await client.Stream.WriteAsync(chunk);
        }

        await client.Stream.FlushAsync();

        // The server gets what was sent while the request is still open: nothing waits for the whole body.
        // A few KB may sit in the proxy's copy buffer; the rest must already be at the server.
        await Eventually.TrueAsync(() => Exchange1.StreamedBytes + Exchange2.StreamedBytes >= Sent - chunk.Length,
            "the CAS server received the 8 MB already sent of the 1 GB body");
    }

    [Fact]
    public async Task A_chunked_body_larger_than_kestrels_default_limit_streams_to_a_service_without_one()
    {
        // RPC has no body limit; Kestrel's own default is 30 MB, which a chunked body used to meet.
        const int total = 40 * 1024 * 1024;
        await using var proxy = await RunningProxy.StartAsync(Config());
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync("""
            RPC_IN_DATA /rpc/rpcproxy.dll?exchange1.contoso.test:6001 HTTP/1.1
            Host: mail.contoso.test
            Transfer-Encoding: chunked

            """);
        var chunk = new byte[64 * 1024];
        var size = System.Text.Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
        for (var written = 0; written < total; written += chunk.Length)
        {
            await client.Stream.WriteAsync(size);
            await client.Stream.WriteAsync(chunk);
            await client.Stream.WriteAsync("\r\n"u8.ToArray());
        }

        await client.Stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        await client.Stream.FlushAsync();

        await Eventually.TrueAsync(() => Exchange1.StreamedBytes + Exchange2.StreamedBytes == total, "the CAS server received all 40 MB");
    }

    [Fact]
    public async Task A_service_with_a_body_limit_refuses_a_larger_announced_body_with_413()
    {
        await using var proxy = await RunningProxy.StartAsync(Config().Service("owa", new JsonObject { ["MaxRequestBodySize"] = 1_000_000 }));
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync("""
            POST /owa/service.svc HTTP/1.1
            Host: mail.contoso.test
            Content-Length: 1073741824

            """);

        var head = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 413", head, StringComparison.Ordinal);
        Assert.Equal(0, Exchange1.InFlight + Exchange2.InFlight);
    }

    [Fact]
    public async Task Expect_100_continue_is_answered_before_the_body_is_sent()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, Certificate);

        await client.WriteHeadAsync("""
            POST /EWS/Exchange.asmx HTTP/1.1
            Host: mail.contoso.test
            Content-Type: text/xml
            Content-Length: 5
            Expect: 100-continue

            """);
        var interim = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 100 Continue", interim, StringComparison.Ordinal);

        await client.Stream.WriteAsync("<a/>\n"u8.ToArray());
        var final = await client.ReadHeadAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 200", final, StringComparison.Ordinal);
    }
}
