using ExchangeProxy.Hosting;
using ExchangeProxy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Hosting;

/// <summary>Kestrel reads and writes the proxy's connections in 32 KB blocks, and gives back the blocks a quiet period did not need.</summary>
public sealed class LargeBlockMemoryPoolTests : TwoCasServersTest
{
    [Fact]
    public async Task An_upload_goes_through_32_kb_blocks_which_go_back_once_unused_for_an_interval()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var proxy = await RunningProxy.StartAsync(Config(), time);
        var factory = proxy.Services.GetRequiredService<LargeBlockMemoryPoolFactory>();
        using var client = proxy.CreateClient();

        using var body = new ByteArrayContent(new byte[8 * 1024 * 1024]);
        using var response = await client.PostAsync(new Uri(proxy.Address, "/EWS/Exchange.asmx"), body);
        response.EnsureSuccessStatusCode();
        Assert.Equal(body.Headers.ContentLength, (await EchoResponse.ReadAsync(response)).BodyBytes);

        // Kestrel took the listener's blocks from the proxy's pool, not its own 4 KB one.
        Assert.Contains(factory.Pools, p => p.Allocated > 0);
        Assert.All(factory.Pools, p => Assert.Equal(32 * 1024, p.MaxBufferSize));
        await Eventually.TrueAsync(() => factory.Pools.Sum(p => p.Pooled) > 0, "the upload's blocks returned to the pool");

        // One interval marks what stayed free; after the next, those blocks are gone.
        time.Advance(LargeBlockMemoryPool.EvictionInterval);
        time.Advance(LargeBlockMemoryPool.EvictionInterval);
        Assert.Equal(0, factory.Pools.Sum(p => p.Pooled));

        // The pool still serves after giving its blocks back.
        using var again = await client.GetAsync(new Uri(proxy.Address, "/owa/"));
        Assert.True(again.IsSuccessStatusCode, $"{again.StatusCode}");
    }

    [Fact]
    public void A_block_larger_than_the_pools_is_refused_and_a_returned_block_is_reused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var pool = new LargeBlockMemoryPool(time, _ => { });
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(LargeBlockMemoryPool.BlockSize + 1));

        var first = pool.Rent();
        var memory = first.Memory;
        first.Dispose();
        using var second = pool.Rent(100);
        Assert.True(memory.Span == second.Memory.Span, "the returned block is handed out again");
        Assert.Equal(1, pool.Allocated);
    }

    [Fact]
    public void Blocks_in_use_through_every_interval_stay_pooled_only_the_surplus_goes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var pool = new LargeBlockMemoryPool(time, _ => { });
        var blocks = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(10, pool.Pooled);

        time.Advance(LargeBlockMemoryPool.EvictionInterval);
        // Busy again: four at once are needed in this interval, so six of the ten were surplus.
        var busy = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToList();
        busy.ForEach(b => b.Dispose());
        time.Advance(LargeBlockMemoryPool.EvictionInterval);
        Assert.Equal(4, pool.Pooled);
        Assert.Equal(10, pool.Allocated);
    }
}
