using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>Any split of the tokens into batches and shards, merged in any order, gives bitwise the same state (FsCheck).</summary>
public class EvaluationProperties
{
    /// <summary>A corpus, a split of it into batches, an assignment of batches to shards and an order of merging.</summary>
    public sealed record Split(int Rows, int Classes, int Seed, int[] Cuts, int[] ShardOf, int[] MergeOrder, bool Double)
    {
        public override string ToString() => $"{Rows}x{Classes} seed={Seed} cuts=[{string.Join(",", Cuts)}] shards=[{string.Join(",", ShardOf)}] order=[{string.Join(",", MergeOrder)}] double={Double}";
    }

    public static Arbitrary<Split> Splits() =>
        (from rows in Gen.Choose(1, 60)
         from classes in Gen.Elements(1, 2, 7, 16, 33, 100, 257)
         from seed in Gen.Choose(0, int.MaxValue)
         from cutCount in Gen.Choose(0, 6)
         from cuts in Gen.ArrayOf(Gen.Choose(0, rows), cutCount)
         from shards in Gen.Choose(1, 4)
         from shardOf in Gen.ArrayOf(Gen.Choose(0, shards - 1), cutCount + 1)
         from order in Gen.Shuffle(Enumerable.Range(0, shards))
         from isDouble in Gen.Elements(false, true)
         select new Split(rows, classes, seed, [.. cuts.Order()], shardOf, [.. order], isDouble)).ToArbitrary();

    private static (double[] P, double[] Q, long[] Targets, double[] Weight) Corpus(Split s)
    {
        var random = new Random(s.Seed);
        double[] p = [.. Enumerable.Range(0, s.Rows * s.Classes).Select(_ => (random.NextDouble() * 30) - 15)];
        double[] q = [.. p.Select(v => v + (random.NextDouble() - 0.5))];
        if (random.Next(3) == 0)
        {
            p[random.Next(p.Length)] = double.NaN;
        }
        long[] t = [.. Enumerable.Range(0, s.Rows).Select(_ => random.Next(6) == 0 ? -100L : random.Next(s.Classes))];
        double[] w = [.. Enumerable.Range(0, s.Classes).Select(_ => 0.1 + random.NextDouble())];
        return (p, q, t, w);
    }

    private static IEnumerable<(int Start, int End, int Shard)> Batches(Split s)
    {
        int start = 0;
        for (int i = 0; i <= s.Cuts.Length; i++)
        {
            int end = i < s.Cuts.Length ? s.Cuts[i] : s.Rows;
            yield return (start, end, s.ShardOf[i]);
            start = end;
        }
    }

    private static string Perplexity(Split s, bool whole)
    {
        var (p, _, t, w) = Corpus(s);
        int shards = s.MergeOrder.Length;
        var parts = Enumerable.Range(0, shards).Select(_ => new PerplexityAccumulator(s.Classes, w) { TopK = [1] }).ToArray();
        if (whole)
        {
            Add(parts[0], p, t, 0, s.Rows, s);
            return parts[0].ToJson() + parts[0].ToResult().ToTable();
        }
        foreach (var (start, end, shard) in Batches(s))
        {
            Add(parts[shard], p, t, start, end, s);
        }
        // Through JSON, as from another process, then merged in the given order.
        var total = PerplexityAccumulator.FromJson(parts[s.MergeOrder[0]].ToJson());
        foreach (int shard in s.MergeOrder.Skip(1))
        {
            total.Merge(PerplexityAccumulator.FromJson(parts[shard].ToJson()));
        }
        return total.ToJson() + total.ToResult().ToTable();
    }

    private static void Add(PerplexityAccumulator a, double[] p, long[] t, int start, int end, Split s)
    {
        if (s.Double)
        {
            a.Add<double>(p.AsSpan(start * s.Classes, (end - start) * s.Classes), t.AsSpan(start, end - start));
        }
        else
        {
            float[] f = [.. p.AsSpan(start * s.Classes, (end - start) * s.Classes).ToArray().Select(v => (float)v)];
            a.Add<float>(f, t.AsSpan(start, end - start));
        }
    }

    [Property(Arbitrary = [typeof(EvaluationProperties)], MaxTest = 60)]
    public bool PerplexityIsTheSameBitsForAnySplitAndMergeOrder(Split s) => Perplexity(s, whole: true) == Perplexity(s, whole: false);

    private static string Comparison(Split s, bool whole, int capacity)
    {
        var (p, q, t, _) = Corpus(s);
        int shards = s.MergeOrder.Length;
        var parts = Enumerable.Range(0, shards).Select(_ => new ModelComparison(s.Classes, percentileCapacity: capacity)).ToArray();
        var batches = whole ? [(0, s.Rows, 0)] : Batches(s);
        foreach (var (start, end, shard) in batches)
        {
            int c = s.Classes;
            parts[shard].Add<double>(p.AsSpan(start * c, (end - start) * c), q.AsSpan(start * c, (end - start) * c), t.AsSpan(start, end - start));
        }
        var total = ModelComparison.FromJson(parts[s.MergeOrder[0]].ToJson());
        foreach (int shard in s.MergeOrder.Skip(1))
        {
            total.Merge(parts[shard]);
        }
        return total.ToJson() + total.ToResult().ToTable();
    }

    [Property(Arbitrary = [typeof(EvaluationProperties)], MaxTest = 60)]
    public bool ComparisonIsTheSameBitsForAnySplitAndMergeOrder(Split s) =>
        Comparison(s, true, 1 << 20) == Comparison(s, false, 1 << 20) && Comparison(s, true, 7) == Comparison(s, false, 7);

    [Property(Arbitrary = [typeof(EvaluationProperties)], MaxTest = 30)]
    public bool MergeIsAssociativeAndCommutative(Split s)
    {
        var (p, _, t, w) = Corpus(s);
        var a = new PerplexityAccumulator(s.Classes, w);
        var b = new PerplexityAccumulator(s.Classes, w);
        var c = new PerplexityAccumulator(s.Classes, w);
        int third = s.Rows / 3;
        a.Add<double>(p.AsSpan(0, third * s.Classes), t.AsSpan(0, third));
        b.Add<double>(p.AsSpan(third * s.Classes, third * s.Classes), t.AsSpan(third, third));
        c.Add<double>(p.AsSpan(2 * third * s.Classes), t.AsSpan(2 * third));
        string Merged(params PerplexityAccumulator[] order)
        {
            var total = PerplexityAccumulator.FromState(order[0].ToState());
            foreach (var x in order.Skip(1))
            {
                total.Merge(x);
            }
            return total.ToJson();
        }
        var bc = PerplexityAccumulator.FromState(b.ToState());
        bc.Merge(c);
        var aThenBc = PerplexityAccumulator.FromState(a.ToState());
        aThenBc.Merge(bc);
        string abc = Merged(a, b, c);
        return abc == aThenBc.ToJson() && abc == Merged(c, a, b) && abc == Merged(b, c, a) && abc == Merged(c, b, a);
    }
}
