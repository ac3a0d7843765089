namespace Losses.ShardWorker;

/// <summary>A deterministic synthetic corpus of two models' logits, scored batch by batch.</summary>
public static class ShardCorpus
{
    public const int ClassCount = 300;
    public const int BatchCount = 12;
    public const int RowsPerBatch = 25;

    /// <summary>Scores the batches selected by <paramref name="take"/> into fresh accumulators.</summary>
    public static (PerplexityAccumulator Perplexity, ModelComparison Comparison) Score(int seed, Func<int, bool> take)
    {
        var perplexity = new PerplexityAccumulator(ClassCount);
        var comparison = new ModelComparison(ClassCount, percentileCapacity: 100);
        var random = new Random(seed);
        for (int batch = 0; batch < BatchCount; batch++)
        {
            float[] p = new float[RowsPerBatch * ClassCount];
            float[] q = new float[p.Length];
            long[] targets = new long[RowsPerBatch];
            for (int i = 0; i < p.Length; i++)
            {
                p[i] = (float)((random.NextDouble() * 12) - 6);
                q[i] = p[i] + (float)((random.NextDouble() - 0.5) * 0.4);
            }
            for (int i = 0; i < targets.Length; i++)
            {
                targets[i] = random.Next(10) == 0 ? -100 : random.Next(ClassCount);
            }
            if (take(batch))
            {
                perplexity.Add<float>(q, targets);
                comparison.Add<float>(p, q, targets);
            }
        }
        return (perplexity, comparison);
    }
}
