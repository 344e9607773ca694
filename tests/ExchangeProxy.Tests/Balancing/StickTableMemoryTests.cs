using System.Net;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using Xunit.Abstractions;

namespace ExchangeProxy.Tests.Balancing;

/// <summary>Measures the managed heap, so it runs alone: no other test allocates meanwhile.</summary>
[CollectionDefinition(nameof(StickTableMemoryTests), DisableParallelization = true)]
public sealed class MeasuresTheHeap;

[Collection(nameof(StickTableMemoryTests))]
public class StickTableMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void A_million_distinct_clients_leave_a_full_table_and_bounded_memory()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var table = new StickTable(new StickTableSettings("flood", 20_000, TimeSpan.FromMinutes(15), 32, 128), TimeProvider.System);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < 1_000_000; i++)
        {
            // 10.0.0.0 - 10.15.66.63: a million distinct IPv4 clients, each seen once.
            bytes[0] = 10;
            bytes[1] = (byte)(i >> 16);
            bytes[2] = (byte)(i >> 8);
            bytes[3] = (byte)i;
            var key = table.KeyOf(new IPAddress(bytes));
            if (!table.TryGet(key, out _))
            {
                table.Stick(key, i % 2 == 0 ? "exchange1" : "exchange2");
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(20_000, table.Count);
        Assert.Equal(980_000, table.Counters.Evictions);
        // 20,000 entries of 48 bytes plus the index: a few MB at most, whatever the flood.
        var retained = after - before;
        output.WriteLine($"retained after 1,000,000 clients: {retained:N0} bytes");
        Assert.InRange(retained, 0, 6 * 1024 * 1024);
        GC.KeepAlive(table);
    }
}
