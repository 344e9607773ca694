using System.Runtime.CompilerServices;

namespace ExchangeProxy.Balancing;

/// <summary>The two weighted choices both layers make: smooth round robin and least load.</summary>
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
}
