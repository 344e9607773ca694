using BenchmarkDotNet.Attributes;
using ExchangeProxy.Balancing;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Benchmarks;

/// <summary>
/// The stick table's cost per lookup (with its touch) when full, at the seed's 20k entries and at a million;
/// alone, and with every core doing the same at once (contended); and the cost of a new client in a full
/// table (a miss, then an insert that evicts).
/// </summary>
[MemoryDiagnoser]
public class StickTableBenchmarks
{
    private const int Operations = 100_000;

    private StickTable _table = null!;
    private ClientKey[] _known = null!;
    private ulong _next;

    [Params(20_000, 1_000_000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Fill()
    {
        _table = new StickTable(new StickTableSettings("bench", Size, TimeSpan.FromMinutes(15), 32, 128), TimeProvider.System);
        _known = new ClientKey[Size];
        var random = new Random(42);
        for (var i = 0; i < Size; i++)
        {
            _known[i] = new ClientKey((UInt128)(uint)random.Next() << 32 | (uint)i);
            _table.Stick(_known[i], i % 2 == 0 ? "exchange1" : "exchange2");
        }

        _next = (ulong)Size;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int LookupAndTouch()
    {
        var found = 0;
        for (var i = 0; i < Operations; i++)
        {
            found += _table.TryGet(_known[(i * 7919) % _known.Length], out _) ? 1 : 0;
        }

        return found;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int LookupAndTouchContended()
    {
        var threads = Environment.ProcessorCount;
        var perThread = Operations / threads;
        var found = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
        {
            var local = 0;
            for (var i = 0; i < perThread; i++)
            {
                local += _table.TryGet(_known[((i * 7919) + thread) % _known.Length], out _) ? 1 : 0;
            }

            Interlocked.Add(ref found, local);
        });
        return found;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public void NewClientInAFullTable()
    {
        for (var i = 0; i < Operations; i++)
        {
            var key = new ClientKey((UInt128)(++_next) << 64);
            if (!_table.TryGet(key, out _))
            {
                _table.Stick(key, "exchange1");
            }
        }
    }
}
