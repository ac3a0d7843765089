using System.Numerics.Tensors;

namespace Losses.Tests;

/// <summary>
/// The README's quickstart code, run with small real inputs, so that what a new user copies compiles and does what the
/// comments say. Keep in step with README.md.
/// </summary>
public class ReadmeExamples
{
    [Fact]
    public void Softmax_family()
    {
        float[] logits = [1000f, 1000f, float.NegativeInfinity];
        var p = new float[3];
        Softmax.Forward<float>(logits, p);
        Assert.Equal([0.5f, 0.5f, 0f], p);
        float lse = LogSumExp.Forward<float>(logits);
        Assert.Equal(1000.6931f, lse, 3);

        float[] batch = [.. Enumerable.Range(0, 40).Select(i => i * 0.1f)];
        LogSoftmax.Forward<float>(batch, batch, classCount: 10);
        float[] dy = new float[40], dx = new float[40];
        LogSoftmax.Backward<float>(batch, dy, dx, classCount: 10);

        var a = SoftmaxNormalizer.Of<float>(logits.AsSpan(0, 2));
        var b = SoftmaxNormalizer.Of<float>(logits.AsSpan(2));
        float same = SoftmaxNormalizer.Combine(a, b).LogSumExp;
        Assert.Equal(lse, same);
    }

    [Fact]
    public void Training_losses()
    {
        const int rows = 4, classCount = 1000;
        var random = new Random(1);
        float[] logits = [.. Enumerable.Range(0, rows * classCount).Select(_ => (float)random.NextDouble())];
        int[] targets = [3, 999, -100, 0];
        float[] classWeights = [.. Enumerable.Repeat(1f, classCount)];
        float[] targetProbabilities = new float[rows * classCount];
        for (int r = 0; r < rows; r++) targetProbabilities[r * classCount + r] = 1f;

        var grad = new float[logits.Length];
        float loss = CrossEntropy.Forward<float>(logits, targets, classCount: 1000, gradient: grad,
            weight: classWeights, ignoreIndex: -100, labelSmoothing: 0.1);
        float soft = CrossEntropy.ForwardWithProbabilities<float>(logits, targetProbabilities, classCount: 1000, gradient: grad);
        var perRow = new float[rows];
        CrossEntropy.Forward<float>(logits, targets, 1000, grad, Reduction.None, losses: perRow, maxDegreeOfParallelism: -1);
        Assert.True(float.IsFinite(loss) && float.IsFinite(soft));
        Assert.Equal(0f, perRow[2]);

        float[] scores = [17f, -2f, 0.5f], labels = [1f, 0f, 1f], predictions = [0.1f, 0.9f, 0.4f], y = [0f, 1f, 1f];
        var g = new float[3];
        float bce = BinaryCrossEntropy.ForwardWithLogits<float>(scores, labels, gradient: g, posWeight: [1.7f]);
        float mse = MeanSquaredError.Forward<float>(predictions, y, gradient: g);
        float focal = FocalLoss.Forward<float>(scores, labels, gradient: g, alpha: 0.25, gamma: 2);
        double[] logQ = [Math.Log(0.5), Math.Log(0.5)], pd = [0.9, 0.1];
        var gd = new double[2];
        double kl = KLDivLoss.Forward<double>(logQ, pd, 2, gradient: gd);
        Assert.True(bce > 0 && mse > 0 && focal > 0 && kl > 0);
    }

    [Fact]
    public void Distribution_measures()
    {
        Assert.Equal(1.5, Entropy.Of([0.5, 0.25, 0.25, 0.0], logBase: 2), 12);
        double h = Entropy.FromCounts([10.0, 5, 5]);
        Assert.Equal(-(0.5 * Math.Log(0.5) + 0.5 * Math.Log(0.25)), h, 12);
        var random = new Random(2);
        float[] logits = [.. Enumerable.Range(0, 8 * 32000).Select(_ => (float)random.NextDouble())];
        var rowEntropy = new float[8];
        Entropy.FromLogits<float>(logits, rowEntropy, classCount: 32000);
        double hpq = Entropy.Cross([0.5, 0.5], [0.9, 0.1]);
        double kl = KLDivergence.Of([0.5, 0.5], [0.9, 0.1]);
        Assert.Equal(0.5108, kl, 4);
        Assert.Equal(Math.Log(2) + kl, hpq, 12);

        float[] teacherLogits = [.. Enumerable.Range(0, 2 * 1000).Select(_ => (float)random.NextDouble())];
        float[] studentLogits = [.. Enumerable.Range(0, 2 * 1000).Select(_ => (float)random.NextDouble())];
        var studentGradient = new float[studentLogits.Length];
        float loss = KLDivergence.Distillation<float>(teacherLogits, studentLogits, classCount: 1000, studentGradient,
            temperature: 4, scaleByTemperatureSquared: true);
        Assert.True(loss >= 0);
        Assert.Equal(1.0, JensenShannon.Divergence([1.0, 0.0], [0.0, 1.0], logBase: 2), 12);
    }

    [Fact]
    public void Information_gain()
    {
        int[] labels = [0, 0, 1, 1, 1, 0];
        int[] colour = [0, 1, 1, 2, 2, 0];
        double ig = InformationGain.Of(labels, colour);
        double bits = InformationGain.Of(labels, colour, logBase: 2);
        Assert.Equal(ig / Math.Log(2), bits, 14);
        double ratio = InformationGain.GainRatio(labels, colour);
        double[] age = [64, 65, 68, 69, 70, 71];
        var split = InformationGain.BestThreshold<double>(age, labels);
        Assert.Equal(66.5, split.Threshold);
        double nmi = InformationGain.NormalizedMutualInformation(labels, colour, MutualInformationAverage.Geometric);
        Span<double> table = stackalloc double[3 * 2];
        InformationGain.CountContingency<double>(labels, colour, [], classCount: 2, table);
        double same = InformationGain.FromContingency<double>(table, classCount: 2);
        Assert.Equal(ig, same, 12);
        Assert.InRange(ratio, 0, 1);
        Assert.InRange(nmi, 0, 1);
    }

    [Fact]
    public void Multi_task_balancing()
    {
        float depthLoss = 9_000f, segmentationLoss = 8f;
        float[] epochMeanLosses = [8_500f, 7.5f], losses = [9_000f, 8f], weightedGradientNorms = [2f, 0.5f];

        var balancer = new UncertaintyWeighting<float>([UncertaintyTerm.Regression, UncertaintyTerm.Default],
            initialLogVariances: [MathF.Log(10_000f), MathF.Log(10f)], learningRate: 0.01f);
        Span<float> weights = stackalloc float[2];
        float total = balancer.Combine([depthLoss, segmentationLoss], weights);
        Assert.True(float.IsFinite(total));

        var dwa = new DynamicWeightAverage<float>(taskCount: 2, temperature: 2f);
        dwa.GetWeights(weights);
        dwa.Observe(epochMeanLosses);

        var gradNorm = new GradNorm<float>(taskCount: 2, alpha: 1.5f, learningRate: 0.025f);
        float t = gradNorm.Combine(losses, weights);
        gradNorm.Update(weightedGradientNorms, losses);
        Assert.True(float.IsFinite(t));

        var checkpoint = balancer.Save();
        balancer.Restore(checkpoint);
    }

    [Fact]
    public void Tensors_and_int64_targets()
    {
        var random = new Random(3);
        float[] values = [.. Enumerable.Range(0, 2 * 3 * 32).Select(_ => (float)random.NextDouble() * 4)];
        long[] tokenIds = [5, 31, 0, -100, 7, 7];

        Tensor<float> logits = Tensor.Create(values, [2, 3, 32]);
        Tensor<long> targets = Tensor.Create(tokenIds, [2, 3]);
        Tensor<float> gradient = Tensor.Create(new float[values.Length], [2, 3, 32]);
        float loss = CrossEntropy.Forward<float>(logits, targets, gradient, labelSmoothing: 0.1);

        Tensor<float> entropy = Tensor.Create(new float[6], [2, 3]);
        Entropy.FromLogits<float>(logits, entropy);

        int[] asInt = [5, 31, 0, -100, 7, 7];
        Assert.Equal(CrossEntropy.Forward<float>(values, asInt, 32, labelSmoothing: 0.1), loss);
        Assert.All(entropy.ToArray(), h => Assert.InRange(h, 0f, MathF.Log(32) + 1e-5f));
    }

    [Fact]
    public void Fused_lm_head()
    {
        // 2 tokens, hidden size 3, vocabulary 4 (W is nn.Linear's [vocabulary × hidden] weight).
        float[] hidden = [0.5f, -1f, 2f, 1f, 0f, -0.5f];
        float[] weight = [0.1f, 0.2f, 0.3f, -0.2f, 0.1f, 0f, 0.3f, -0.1f, 0.2f, 0f, 0f, 1f];
        float[] bias = [0f, 0.1f, 0f, float.NegativeInfinity];          // −∞ masks class 3
        var dHidden = new float[hidden.Length];
        var dWeight = new float[weight.Length];
        var dBias = new float[bias.Length];
        float loss = LinearCrossEntropy.Forward<float>(hidden, weight, targets: [2, 0], hiddenSize: 3, classCount: 4,
            linearBias: bias, hiddenGradient: dHidden, linearWeightGradient: dWeight, linearBiasGradient: dBias,
            maxBufferElements: 1 << 20, maxDegreeOfParallelism: -1);

        // The logits alone, H·Wᵀ ([tokens × vocabulary]), with the public matrix product:
        var logits = new float[2 * 4];
        MatrixMultiply.MultiplyTransposedB<float>(hidden, weight, logits, m: 2, n: 4, k: 3);

        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] += bias[i % 4];
        }
        Assert.Equal(CrossEntropy.Forward<float>(logits, [2, 0], 4), loss, 1e-6f);
        Assert.Equal(0f, dBias[3]);
        Assert.All(dHidden, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Fused_lm_head_token_log_probabilities()
    {
        float[] hidden = [0.5f, -1f, 2f, 1f, 0f, -0.5f];
        float[] weight = [0.1f, 0.2f, 0.3f, -0.2f, 0.1f, 0f, 0.3f, -0.1f, 0.2f, 0f, 0f, 1f];
        float[] bias = [0f, 0.1f, 0f, float.NegativeInfinity];
        var dHidden = new float[hidden.Length];
        var dWeight = new float[weight.Length];
        var dBias = new float[bias.Length];

        // Continuing the snippet above: a PPO step on the output layer. Log-probabilities of the sampled tokens and entropies:
        int[] sampled = [2, 0];
        float[] oldLogProbs = [-1.2f, -0.9f], advantages = [0.5f, -1f];
        var logProbs = new float[2];
        var entropy = new float[2];
        LinearTokenLogProbabilities.Forward<float>(hidden, weight, sampled, logProbs, hiddenSize: 3, classCount: 4, entropy, linearBias: bias);

        // Upstream gradients of the clipped objective −min(r·A, clip(r, 0.8, 1.2)·A) − 0.01·H, averaged over the tokens:
        var dLogProbs = new float[2];
        var dEntropy = new float[2];
        for (int i = 0; i < 2; i++)
        {
            float ratio = MathF.Exp(logProbs[i] - oldLogProbs[i]);
            bool clipped = advantages[i] >= 0 ? ratio > 1.2f : ratio < 0.8f;
            dLogProbs[i] = clipped ? 0f : -advantages[i] * ratio / 2;
            dEntropy[i] = -0.01f / 2;
        }
        LinearTokenLogProbabilities.Backward<float>(hidden, weight, sampled, dLogProbs, dEntropy, 3, 4, linearBias: bias,
            hiddenGradient: dHidden, linearWeightGradient: dWeight, linearBiasGradient: dBias);

        var logits = new float[8];
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i] = bias[i % 4];
        }
        MatrixMultiply.MultiplyTransposedB<float>(hidden, weight, logits, m: 2, n: 4, k: 3, accumulate: true);
        var expected = new float[2];
        TokenLogProbabilities.Forward<float>(logits, sampled, expected, 4);
        Assert.Equal(expected, logProbs);
        Assert.All(entropy, h => Assert.InRange(h, 0f, MathF.Log(3) + 1e-6f));
        Assert.Equal(0f, dBias[3]);
        Assert.All(dHidden.Concat(dWeight).Concat(dBias), v => Assert.True(float.IsFinite(v)));
    }
}
