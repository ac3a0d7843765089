namespace Losses.Tests;

/// <summary>The README's "Evaluating a corpus" recipe with a toy model, so that the recipe compiles and does what it says.</summary>
public class EvaluationReadmeExample
{
    [Fact]
    public void RecipeRunsAndShardsMergeThroughJson()
    {
        const int vocabularySize = 50, window = 16;
        var random = new Random(1);
        int[] ids = [.. Enumerable.Range(0, 200).Select(_ => random.Next(vocabularySize))];
        float[] Logits(int start, int n)
        {
            // A toy bigram "model": favours the id after the current one.
            var logits = new float[n * vocabularySize];
            for (int i = 0; i < n; i++)
            {
                logits[(i * vocabularySize) + ((ids[start + i] + 1) % vocabularySize)] = 2;
            }
            return logits;
        }

        var eval = new PerplexityAccumulator(classCount: vocabularySize);
        var shards = new[] { new PerplexityAccumulator(vocabularySize), new PerplexityAccumulator(vocabularySize) };
        for (int start = 0, window0 = 0; start + 1 < ids.Length; start += window, window0++)
        {
            int n = Math.Min(window, ids.Length - 1 - start);
            float[] logits = Logits(start, n);
            eval.Add<float>(logits, ids.Skip(start + 1).Take(n).ToArray());
            shards[window0 % 2].Add<float>(logits, ids.Skip(start + 1).Take(n).Select(i => (long)i).ToArray());
        }
        var total = PerplexityAccumulator.FromJson(shards[1].ToJson());
        total.Merge(PerplexityAccumulator.FromJson(shards[0].ToJson()));
        Assert.Equal(eval.ToJson(), total.ToJson());
        var r = eval.ToResult();
        Assert.Equal(199, r.TokenCount);
        Assert.True(r.Perplexity > 1 && double.IsFinite(r.Perplexity));
        Assert.Contains("Perplexity", r.ToTable(), StringComparison.Ordinal);

        var compare = new ModelComparison(classCount: vocabularySize);
        float[] reference = Logits(0, 100);
        float[] quantised = [.. reference.Select(v => (float)(Half)(v + 0.01f))];
        compare.Add<float>(reference, quantised, ids.AsSpan(1, 100));
        Assert.Equal(1, compare.ToResult().SameTopFraction);
    }
}
