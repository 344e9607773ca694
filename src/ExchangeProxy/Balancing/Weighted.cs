using System.Runtime.CompilerServices;

namespace ExchangeProxy.Balancing;

/// <summary>The weighted choices both layers make: smooth round robin, least load, and a hash of the client address.</summary>
public static class Weighted
{
    /// <summary>
    /// Smooth weighted round robin (nginx's algorithm): weights 3:1 give A A B A, not A A A B, and equal
    /// weights give plain round robin. Candidates of weight 0 take nothing. Call under the pool's lock.
    /// </summary>
    public static T? RoundRobin<T, TState>(IReadOnlyList<T> candidates, TState state, Func<T, int> weightOf, Func<T, TState, StrongBox<long>> currentOf)
        where T : class
    {
        T? best = null;
        StrongBox<long>? bestWeight = null;
        long total = 0;
        foreach (var candidate in candidates)
        {
            var weight = weightOf(candidate);
            if (weight == 0)
            {
                continue;
            }

            var current = currentOf(candidate, state);
            current.Value += weight;
            total += weight;
            if (bestWeight is null || current.Value > bestWeight.Value)
            {
                best = candidate;
                bestWeight = current;
            }
        }

        if (bestWeight is not null)
        {
            bestWeight.Value -= total;
        }

        return best;
    }

    /// <summary>The candidate with the least load per weight; <paramref name="rotation"/> decides among equals.</summary>
    public static T? LeastLoaded<T>(IReadOnlyList<T> candidates, Func<T, int> weightOf, Func<T, long> loadOf, int rotation)
        where T : class
    {
        var count = candidates.Count;
        if (count == 0)
        {
            return null;
        }

        var start = (int)((uint)rotation % (uint)count);
        T? best = null;
        long bestLoad = 0;
        long bestWeight = 0;
        for (var i = 0; i < count; i++)
        {
            var candidate = candidates[(start + i) % count];
            long weight = weightOf(candidate);
            if (weight == 0)
            {
                continue;
            }

            var load = loadOf(candidate);
            // load / weight < bestLoad / bestWeight, without division.
            if (best is null || load * bestWeight < bestLoad * weight)
            {
                best = candidate;
                bestLoad = load;
                bestWeight = weight;
            }
        }

        return best;
    }

    /// <summary>
    /// HAProxy's <c>balance source</c>: the same client address to the same candidate while the candidates stay
    /// the same, in proportion to their weights. Candidates of weight 0 take nothing.
    /// </summary>
    public static T? ByHash<T>(IReadOnlyList<T> candidates, Func<T, int> weightOf, Func<T, string> nameOf, System.Net.IPAddress client)
        where T : class
    {
        var weighted = candidates.Where(c => weightOf(c) > 0).OrderBy(nameOf, StringComparer.OrdinalIgnoreCase).ToList();
        var total = weighted.Sum(weightOf);
        if (total == 0)
        {
            return null;
        }

        var key = ClientKey.From(client).Value;
        var point = (long)(((ulong)(key >> 64) ^ (ulong)key) * 0x9E3779B97F4A7C15UL % (ulong)total);
        foreach (var candidate in weighted)
        {
            point -= weightOf(candidate);
            if (point < 0)
            {
                return candidate;
            }
        }

        return weighted[^1];
    }
}
