using System.Net;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Balancing;

public class StickTableTests
{
    private readonly FakeTimeProvider _time = new();

    private StickTable Table(int size = 20_000, TimeSpan? expire = null, int ipv4Prefix = 32, int ipv6Prefix = 128) =>
        new(new StickTableSettings("test", size, expire ?? TimeSpan.FromMinutes(15), ipv4Prefix, ipv6Prefix), _time);

    private static ClientKey Ip(string address) => ClientKey.From(IPAddress.Parse(address));

    [Fact]
    public void A_client_sticks_to_its_server_and_a_move_replaces_it()
    {
        var table = Table();
        Assert.False(table.TryGet(Ip("192.0.2.1"), out _));

        table.Stick(Ip("192.0.2.1"), "exchange1");
        Assert.True(table.TryGet(Ip("192.0.2.1"), out var server));
        Assert.Equal("exchange1", server);

        table.Stick(Ip("192.0.2.1"), "exchange2");
        Assert.True(table.TryGet(Ip("192.0.2.1"), out server));
        Assert.Equal("exchange2", server);
        Assert.Equal(1, table.Count);
        Assert.Equal(new StickTableCounters(Hits: 2, Misses: 1, Redispatches: 0, Evictions: 0, Expirations: 0), table.Counters);
    }

    [Fact]
    public void Expiry_slides_with_every_use()
    {
        var table = Table(expire: TimeSpan.FromMinutes(15));
        table.Stick(Ip("192.0.2.1"), "exchange1");

        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.True(table.TryGet(Ip("192.0.2.1"), out _));
        _time.Advance(TimeSpan.FromMinutes(14));
        Assert.True(table.TryGet(Ip("192.0.2.1"), out _));
        _time.Advance(TimeSpan.FromMinutes(15));

        Assert.False(table.TryGet(Ip("192.0.2.1"), out _));
        Assert.Equal(0, table.Count);
        Assert.Equal(1, table.Counters.Expirations);
    }

    [Fact]
    public void A_full_table_forgets_the_least_recently_used_client()
    {
        var table = Table(size: 3);
        table.Stick(Ip("192.0.2.1"), "exchange1");
        table.Stick(Ip("192.0.2.2"), "exchange1");
        table.Stick(Ip("192.0.2.3"), "exchange1");
        Assert.True(table.TryGet(Ip("192.0.2.1"), out _));

        table.Stick(Ip("192.0.2.4"), "exchange2");

        Assert.Equal(3, table.Count);
        Assert.False(table.TryGet(Ip("192.0.2.2"), out _));
        Assert.True(table.TryGet(Ip("192.0.2.1"), out _));
        Assert.True(table.TryGet(Ip("192.0.2.3"), out _));
        Assert.True(table.TryGet(Ip("192.0.2.4"), out _));
        Assert.Equal(1, table.Counters.Evictions);
    }

    [Fact]
    public void Other_instances_hear_of_new_and_moved_entries_and_of_old_ones_at_half_expiry()
    {
        var table = Table(expire: TimeSpan.FromMinutes(10));
        Assert.True(table.Stick(Ip("192.0.2.1"), "exchange1"));
        Assert.False(table.Stick(Ip("192.0.2.1"), "exchange1"));
        Assert.True(table.Stick(Ip("192.0.2.1"), "exchange2"));
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(table.Stick(Ip("192.0.2.1"), "exchange2"));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(table.Stick(Ip("192.0.2.1"), "exchange2"));

        // What another instance announced is not announced back.
        table.Learn(Ip("192.0.2.9"), "exchange1");
        Assert.False(table.Stick(Ip("192.0.2.9"), "exchange1"));
    }

    [Fact]
    public void Prefixes_keep_a_network_together()
    {
        var table = Table(ipv4Prefix: 24, ipv6Prefix: 64);
        table.Stick(table.KeyOf(IPAddress.Parse("192.0.2.1")), "exchange1");
        table.Stick(table.KeyOf(IPAddress.Parse("2001:db8:1:2::1")), "exchange2");

        Assert.True(table.TryGet(table.KeyOf(IPAddress.Parse("192.0.2.200")), out var v4));
        Assert.Equal("exchange1", v4);
        Assert.True(table.TryGet(table.KeyOf(IPAddress.Parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), out var v6));
        Assert.Equal("exchange2", v6);
        Assert.False(table.TryGet(table.KeyOf(IPAddress.Parse("192.0.3.1")), out _));
        Assert.False(table.TryGet(table.KeyOf(IPAddress.Parse("2001:db8:1:3::1")), out _));
        Assert.Equal("192.0.2.0", table.KeyOf(IPAddress.Parse("192.0.2.77")).ToString());
    }

    [Fact]
    public void An_ipv4_client_seen_through_a_dual_stack_socket_is_the_same_client()
    {
        Assert.Equal(Ip("192.0.2.1"), ClientKey.From(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.NotEqual(Ip("192.0.2.1"), Ip("192.0.2.2"));
        Assert.Equal("2001:db8::1", Ip("2001:db8::1").ToString());
        Assert.Equal("192.0.2.1", Ip("192.0.2.1").ToString());
    }

    [Fact]
    public async Task Concurrent_lookups_and_updates_keep_the_table_consistent()
    {
        var table = Table(size: 1000, expire: TimeSpan.FromMinutes(1));
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 200_000; i++)
            {
                var key = new ClientKey((UInt128)random.Next(5000));
                if (!table.TryGet(key, out _))
                {
                    table.Stick(key, worker % 2 == 0 ? "exchange1" : "exchange2");
                }
            }
        })));

        Assert.Equal(1000, table.Count);
        var counters = table.Counters;
        Assert.Equal(800_000, counters.Hits + counters.Misses);
        // Each miss stored at most one new entry, and every entry beyond the first thousand evicted one.
        Assert.InRange(counters.Evictions, 1, counters.Misses - 1000);
        Assert.Equal(0, counters.Expirations);
        for (var i = 0; i < 5000; i++)
        {
            if (table.TryGet(new ClientKey((UInt128)i), out var server))
            {
                Assert.True(server is "exchange1" or "exchange2");
            }
        }
    }
}
