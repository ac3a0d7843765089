using System.Runtime.InteropServices;

namespace Losses.Tests.Docs;

/// <summary>Runs the interop recipes of docs/guides (TorchSharp, ML.NET, a tokenizer's token stream) and checks what the pages promise.</summary>
public class InteropRecipeTests
{
    /// <summary>TorchSharp recipe (docs/guides/torchsharp.md), without TorchSharp: byte buffers stand in for
    /// <c>tensor.bytes</c> of a float32 logits tensor, an int64 targets tensor and the gradient tensor. The loss is
    /// PyTorch's <c>F.cross_entropy(x, t, label_smoothing=0.1)</c>, and the gradient written into the gradient tensor's
    /// memory is ∂loss/∂logits (finite differences), the upstream gradient that <c>logits.backward([grad])</c> needs.</summary>
    [Fact]
    public void TorchSharp_recipe_reads_tensor_memory_with_int64_targets_and_writes_the_gradient_back()
    {
        const int rows = 5, classes = 7;
        var random = new Random(3);
        float[] x = [.. Enumerable.Range(0, rows * classes).Select(_ => (float)(random.NextDouble() * 6 - 3))];
        long[] t = [2, 6, -100, 0, 3];
        byte[] logitsMemory = MemoryMarshal.AsBytes(x.AsSpan()).ToArray();
        byte[] targetsMemory = MemoryMarshal.AsBytes(t.AsSpan()).ToArray();
        byte[] gradientMemory = new byte[logitsMemory.Length];

        float loss = InteropRecipes.TorchSharpSpans(logitsMemory, targetsMemory, gradientMemory, classes);
        float[] gradient = MemoryMarshal.Cast<byte, float>(gradientMemory).ToArray();

        // Reference in double: (1 − ε)·(lse − x_t) + ε/C·Σ_c (lse − x_c), mean over the 4 counted rows.
        double expected = 0;
        for (int r = 0; r < rows; r++)
        {
            if (t[r] == -100)
            {
                Assert.All(gradient.Skip(r * classes).Take(classes), g => Assert.Equal(0f, g));
                continue;
            }
            double[] row = [.. x.Skip(r * classes).Take(classes).Select(v => (double)v)];
            double lse = Math.Log(row.Sum(Math.Exp));
            expected += (0.9 * (lse - row[t[r]])) + (0.1 / classes * row.Sum(v => lse - v));
        }
        Assert.Equal(expected / 4, loss, 5);

        // The gradient is ∂loss/∂logits: central differences through the same recipe.
        foreach (int j in new[] { 0, 2 * classes - 1, 3 * classes + 3 })
        {
            float h = 1e-2f;
            float Loss(float delta)
            {
                float[] shifted = (float[])x.Clone();
                shifted[j] += delta;
                return InteropRecipes.TorchSharpSpans(MemoryMarshal.AsBytes(shifted.AsSpan()).ToArray(), targetsMemory, new byte[gradientMemory.Length], classes);
            }
            Assert.Equal((Loss(h) - Loss(-h)) / (2 * h), gradient[j], 3);
        }
    }

    /// <summary>ML.NET recipe (docs/guides/mlnet.md), with the real ML.NET: the library's NLL of the Score column with
    /// 0-based targets from the 1-based key labels equals ML.NET's own LogLoss metric.</summary>
    [Fact]
    public void MlNet_recipe_gives_ml_nets_log_loss_from_the_score_column_and_key_labels()
    {
        var (logLoss, mlNetLogLoss, entropy, ignored) = InteropRecipes.MlNetScores();
        Assert.Equal(0, ignored);
        Assert.InRange(mlNetLogLoss, 0.05, 1.0);   // a confident model, not a certain one: the comparison means something
        Assert.Equal(mlNetLogLoss, logLoss, 1e-5 * mlNetLogLoss);
        Assert.InRange(entropy, 0.0, Math.Log(3));
    }

    /// <summary>Tokenizer recipe (docs/guides/tokenizer-perplexity.md), with GPT-2's real tokenizer: the accumulator's
    /// perplexity equals exp of the mean −log p of the smoothed bigram probabilities computed by hand in double.</summary>
    [Fact]
    public void Tokenizer_recipe_streams_a_token_stream_into_the_perplexity_accumulator()
    {
        const string training = "The cat sat on the mat. The dog sat on the log. The cat saw the dog, and the dog saw the cat.";
        const string text = "The dog sat on the mat, and the cat sat on the log. The cat saw the mat.";
        var (result, ids, pairs, firsts, vocabulary) = InteropRecipes.TokenizerPerplexity(training, text);

        Assert.True(ids.Length > 16, "the text must span more than one batch");
        Assert.Equal(ids.Length - 1, result.TokenCount);
        double crossEntropy = 0;
        for (int i = 1; i < ids.Length; i++)
        {
            double p = (pairs.GetValueOrDefault((ids[i - 1], ids[i])) + 1.0) / (firsts.GetValueOrDefault(ids[i - 1]) + vocabulary);
            crossEntropy -= Math.Log(p);
        }
        crossEntropy /= ids.Length - 1;
        Assert.Equal(crossEntropy, result.CrossEntropy, 1e-5 * crossEntropy);
        Assert.Equal(Math.Exp(crossEntropy), result.Perplexity, 1e-4 * Math.Exp(crossEntropy));
        Assert.InRange(result.Perplexity, 2, vocabulary);   // better than guessing among 50257 tokens, far from certain
    }
}
