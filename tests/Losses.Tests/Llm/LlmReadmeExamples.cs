using System.Runtime.InteropServices;

namespace Losses.Tests;

/// <summary>The README's LLM-scale cross-entropy section, run with real inputs. Keep in step with README.md.</summary>
public class LlmReadmeExamples
{
    [Fact]
    public void Llm_scale_cross_entropy()
    {
        const int rows = 3;
        var random = new Random(7);
        float[] logits = [.. Enumerable.Range(0, rows * 32000).Select(_ => (float)((random.NextDouble() * 10) - 5))];
        int[] targets = [5, 31999, 12000];
        long[] targets64 = [.. targets.Select(t => (long)t)];
        int[] sampled = targets;
        var grad = new float[logits.Length];
        Half[] halfLogits = [.. logits.Select(v => (Half)v)];
        ushort[] rawBits = [.. logits.Select(v => ((BFloat16)v).Bits)];
        var logProbs = new float[rows];
        var entropy = new float[rows];
        float[] dLogProbs = [1f, -0.5f, 0.25f], dEntropy = [0.01f, 0.01f, 0.01f];

        float loss = CrossEntropy.Forward<float>(logits, targets64, classCount: 32000, gradient: grad,
            labelSmoothing: 0.1, zLoss: 1e-4, softCap: 30);
        float fromHalf = CrossEntropy.Forward(halfLogits, targets64, 32000, grad);
        ReadOnlySpan<BFloat16> bf16 = MemoryMarshal.Cast<ushort, BFloat16>(rawBits);
        float fromBf16 = CrossEntropy.Forward(bf16, targets64, 32000, grad);
        var tokenPartials = new VocabularyPartial[rows];
        TokenLogProbabilities.Forward<float>(logits, sampled, logProbs, tokenPartials, grad, 32000, entropy);
        TokenLogProbabilities.Backward<float>(logits, tokenPartials, dLogProbs, dEntropy, grad, 32000);

        var combined = new VocabularyPartial[rows];
        var partials = new VocabularyPartial[4][];
        for (int s = 0; s < 4; s++)
        {
            partials[s] = new VocabularyPartial[rows];
            CrossEntropySlices.Forward<float>(logits.AsSpan(s * 8000), targets, partials[s], grad.AsSpan(s * 8000), 32000, s * 8000, 8000,
                stride: 32000, entropy: true);
            CrossEntropySlices.Combine(partials[s], combined);
        }
        float sliced = CrossEntropySlices.Loss<float>(combined, 32000, zLoss: 1e-4);
        for (int s = 0; s < 4; s++)
        {
            CrossEntropySlices.Backward<float>(logits.AsSpan(s * 8000), partials[s], combined, grad.AsSpan(s * 8000), 32000, s * 8000, 8000,
                stride: 32000, zLoss: 1e-4);
        }
        TokenLogProbabilities.FromPartials<float>(combined, logProbs, 32000, entropy);

        float[][] chunks = [.. Enumerable.Range(0, 4).Select(s => Enumerable.Range(0, rows).SelectMany(r => logits.Skip((r * 32000) + (s * 8000)).Take(8000)).ToArray())];
        float[][] chunkGrads = [.. chunks.Select(c => new float[c.Length])];
        float grouped = CrossEntropySlices.ForwardBackward<float>([chunks[0], chunks[1], chunks[2], chunks[3]], targets,
            [chunkGrads[0], chunkGrads[1], chunkGrads[2], chunkGrads[3]], combined, zLoss: 1e-4);   // = sliced, to a few ulp
        Assert.Equal(sliced, grouped, Math.Abs(sliced) * 4e-6f);

        float oneShot = CrossEntropy.Forward<float>(logits, targets, 32000, zLoss: 1e-4);
        Assert.Equal(oneShot, sliced, 5);
        Assert.True(float.IsFinite(loss) && Math.Abs(fromHalf - fromBf16) < 0.05f);
    }

    /// <summary>The README's PPO objective (keep in step with README.md).</summary>
    private readonly struct Ppo(float[] oldLogProbs, float[] advantages, float clip, float entropyCoefficient) : ITokenObjective<float>
    {
        public void Gradients(int row, float logProbability, float entropy, out float dLogProb, out float dEntropy)
        {
            int n = advantages.Length;
            float ratio = MathF.Exp(logProbability - oldLogProbs[row]), a = advantages[row];
            bool clipped = a >= 0 ? ratio > 1 + clip : ratio < 1 - clip;   // the clipped term is the min: no gradient
            dLogProb = clipped ? 0 : -ratio * a / n;
            dEntropy = -entropyCoefficient / n;
        }
    }

    [Fact]
    public void Ppo_in_one_call()
    {
        const int rows = 3;
        var random = new Random(5);
        float[] logits = [.. Enumerable.Range(0, rows * 32000).Select(_ => (float)((random.NextDouble() * 10) - 5))];
        int[] sampled = [5, 31999, 12000];
        var logProbs = new float[rows];
        var entropy = new float[rows];
        var grad = new float[logits.Length];
        float[] oldLogProbs = [-10.5f, -11f, -9f], advantages = [1f, -0.5f, 2f];

        TokenLogProbabilities.ForwardBackward<float, Ppo>(logits, sampled, logProbs, grad, 32000,
            new Ppo(oldLogProbs, advantages, clip: 0.2f, entropyCoefficient: 0.01f), entropy);

        // The same through the two calls, with the objective's upstream gradients computed from the forward's outputs.
        var expected = new float[logits.Length];
        var partials = new VocabularyPartial[rows];
        var lp = new float[rows];
        var h = new float[rows];
        TokenLogProbabilities.Forward<float>(logits, sampled, lp, partials, expected, 32000, h);
        var dLogProbs = new float[rows];
        var dEntropy = new float[rows];
        var ppo = new Ppo(oldLogProbs, advantages, 0.2f, 0.01f);
        for (int r = 0; r < rows; r++)
        {
            ppo.Gradients(r, lp[r], h[r], out dLogProbs[r], out dEntropy[r]);
        }
        TokenLogProbabilities.Backward<float>(logits, partials, dLogProbs, dEntropy, expected, 32000);
        Assert.Equal(lp, logProbs);
        Assert.Equal(h, entropy);
        Assert.True(expected.AsSpan().SequenceEqual(grad));
    }

    [Fact]
    public void Vocabulary_sharded_across_processes()
    {
        const int rows = 4, vocab = 1000, worldSize = 4, width = vocab / worldSize;
        var random = new Random(8);
        float[] full = [.. Enumerable.Range(0, rows * vocab).Select(_ => (float)((random.NextDouble() * 10) - 5))];
        int[] targets = [1, 999, 500, 250];
        var shardGradients = new float[worldSize][];
        var losses = new float[worldSize];

        // Each "rank" holds a contiguous [rows × width] shard; the all-gather is simulated by concatenating bytes.
        float[][] shards = [.. Enumerable.Range(0, worldSize).Select(r =>
            Enumerable.Range(0, rows).SelectMany(row => full.Skip(row * vocab + r * width).Take(width)).ToArray())];
        var sent = new List<byte>();
        for (int rank = 0; rank < worldSize; rank++)
        {
            var mine = new VocabularyPartial[rows];
            CrossEntropySlices.Forward<float>(shards[rank], targets, mine, classCount: vocab, offset: rank * width, width: width);
            sent.AddRange(MemoryMarshal.AsBytes(mine.AsSpan()).ToArray());
        }
        byte[] gathered = [.. sent];
        for (int rank = 0; rank < worldSize; rank++)
        {
            var combined = new VocabularyPartial[rows];
            for (int r = 0; r < worldSize; r++)
            {
                CrossEntropySlices.Combine(MemoryMarshal.Cast<byte, VocabularyPartial>(gathered.AsSpan(r * rows * 72, rows * 72)), combined);
            }
            losses[rank] = CrossEntropySlices.Loss<float>(combined, vocab);
            shardGradients[rank] = new float[rows * width];
            CrossEntropySlices.Backward<float>(shards[rank], combined, shardGradients[rank], vocab, rank * width, width);
        }
        Assert.Equal(72, System.Runtime.CompilerServices.Unsafe.SizeOf<VocabularyPartial>());
        var expectedGradient = new float[full.Length];
        float expected = CrossEntropy.Forward<float>(full, targets, vocab, expectedGradient);
        Assert.All(losses, l => Assert.Equal(expected, l, 5));
        for (int rank = 0; rank < worldSize; rank++)
        {
            for (int row = 0; row < rows; row++)
            {
                for (int j = 0; j < width; j++)
                {
                    Assert.Equal(expectedGradient[row * vocab + rank * width + j], shardGradients[rank][row * width + j], 6);
                }
            }
        }
    }
}
