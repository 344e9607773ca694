using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace ExchangeProxy.Hosting;

/// <summary>Kestrel's transport takes its memory pools from this factory when it is registered (one per listener).</summary>
public sealed class LargeBlockMemoryPoolFactory(TimeProvider time) : IMemoryPoolFactory<byte>
{
    private readonly Lock _lock = new();
    private readonly List<LargeBlockMemoryPool> _pools = [];

    /// <summary>The pools in use: a listener that stops disposes its own.</summary>
    public IReadOnlyList<LargeBlockMemoryPool> Pools
    {
        get
        {
            lock (_lock)
            {
                return [.. _pools];
            }
        }
    }

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new LargeBlockMemoryPool(time, Forget);
        lock (_lock)
        {
            _pools.Add(pool);
        }

        return pool;
    }

    private void Forget(LargeBlockMemoryPool pool)
    {
        lock (_lock)
        {
            _pools.Remove(pool);
        }
    }
}
