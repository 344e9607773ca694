using System.Net;
using System.Net.Sockets;
using ExchangeProxy.Hosting;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Hosting;

/// <summary>After a crowd of connections closes, the memory they held is given back; a few closing do not cost a collection.</summary>
public sealed class MemoryTrimTests : TwoCasServersTest
{
    [Fact]
    public async Task A_thousand_connections_closing_give_their_memory_back_a_few_do_not()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await RunningProxy.StartAsync(Config(), time);
        var connections = proxy.Services.GetRequiredService<ConnectionLimit>();

        await OpenAndCloseAsync(proxy, connections, 50);
        time.Advance(MemoryTrim.Interval);
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains("of memory given back", StringComparison.Ordinal));

        await OpenAndCloseAsync(proxy, connections, 1200);
        time.Advance(MemoryTrim.Interval);
        var trimmed = Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("of memory given back", StringComparison.Ordinal));
        Assert.InRange(Convert.ToInt64(trimmed.Properties["Closed"], System.Globalization.CultureInfo.InvariantCulture), 1200, 1300);

        // Once given back, the next look finds nothing new to give.
        time.Advance(MemoryTrim.Interval);
        Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("of memory given back", StringComparison.Ordinal));
    }

    private static async Task OpenAndCloseAsync(RunningProxy proxy, ConnectionLimit connections, int count)
    {
        var before = connections.Active;
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.Address.Port));
            }

            await Eventually.TrueAsync(() => connections.Active >= before + count, $"{count} connections open");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }

        await Eventually.TrueAsync(() => connections.Active <= before, $"{count} connections closed");
    }
}
