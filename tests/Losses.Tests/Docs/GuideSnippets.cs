namespace Losses.Tests.Docs;

/// <summary>
/// The code of the documentation's guide pages (docs/guides/*.md include each region by name, so the page shows exactly
/// this code). Each method runs one snippet and returns what its comments promise; <see cref="GuideSnippetTests"/> checks
/// those promises. Keep the regions short and self-contained: a reader copies them.
/// </summary>
public static class GuideSnippets
{
    public static (double Bits, double Nats, float Loss, double LossBits) CrossEntropyInBits()
    {
        // <cross-entropy-bits>
        // The model gives the true class (index 1) probability 1/8: the loss is 3 bits, as surprising as three fair coins.
        double[] target = [0, 1, 0, 0];
        double[] predicted = [0.5, 0.125, 0.25, 0.125];
        double bits = Entropy.Cross<double>(target, predicted, logBase: 2);   // 3
        double nats = Entropy.Cross<double>(target, predicted);               // 3·ln 2 ≈ 2.0794 (natural log)

        // The training loss is the same quantity from logits, in nats: −log softmax(z)[target].
        float[] logits = [2f, 0f, 1f, 0f];                                    // softmax ≈ [0.61, 0.08, 0.23, 0.08]
        int[] targets = [1];
        float loss = CrossEntropy.Forward<float>(logits, targets, classCount: 4);   // ≈ 2.4938 nats
        double lossBits = loss / Math.Log(2);                                       // ≈ 3.5978 bits
        // </cross-entropy-bits>
        return (bits, nats, loss, lossBits);
    }

    public static (double H, double Hpq, double KL, double Reverse) KLVersusCrossEntropy()
    {
        // <kl-vs-cross-entropy>
        double[] p = [0.7, 0.2, 0.1];   // the true distribution P
        double[] q = [0.5, 0.3, 0.2];   // the model Q
        double h = Entropy.Of<double>(p, logBase: 2);               // H(P) ≈ 1.1568 bits: no model can go below it
        double hpq = Entropy.Cross<double>(p, q, logBase: 2);       // H(P, Q) ≈ 1.2796 bits
        double kl = KLDivergence.Of<double>(p, q, logBase: 2);      // KL(P‖Q) = H(P, Q) − H(P) ≈ 0.1228 bits
        double reverse = KLDivergence.Of<double>(q, p, logBase: 2); // KL(Q‖P) ≈ 0.1328 bits: not symmetric
        // </kl-vs-cross-entropy>
        return (h, hpq, kl, reverse);
    }

    public static (float Loss, float[] Gradient, float Weighted, float FromProbabilities) BinaryCrossEntropyExample()
    {
        // <binary-cross-entropy>
        float[] logits = [2f, -1f, 0.5f, -3f];     // one score per example
        float[] labels = [1f, 0f, 0f, 1f];
        var gradient = new float[4];
        float loss = BinaryCrossEntropy.ForwardWithLogits<float>(logits, labels, gradient: gradient);   // ≈ 1.1157 (mean)
        // gradient[i] = (σ(x_i) − y_i) / 4 ≈ [−0.0298, 0.0672, 0.1556, −0.2381]

        // posWeight multiplies the positive term: a missed positive costs 3× a false alarm.
        float weighted = BinaryCrossEntropy.ForwardWithLogits<float>(logits, labels, posWeight: [3f]);  // ≈ 2.7035

        // From probabilities instead of logits (PyTorch's F.binary_cross_entropy): same value, less safe at the ends.
        float[] probabilities = [.. logits.Select(x => 1f / (1f + MathF.Exp(-x)))];
        float fromProbabilities = BinaryCrossEntropy.Forward<float>(probabilities, labels);              // ≈ 1.1157
        // </binary-cross-entropy>
        return (loss, gradient, weighted, fromProbabilities);
    }

    public static (float CeNorm, float MseNorm) CrossEntropyVersusMse()
    {
        // <ce-vs-mse>
        // A confident mistake: the true class is 0, the model puts logit 10 on class 3 (p(true) ≈ 4.5e-5).
        float[] logits = [0, 0, 0, 10, 0, 0, 0, 0, 0, 0];
        int[] target = [0];

        var ceGradient = new float[10];
        CrossEntropy.Forward<float>(logits, target, classCount: 10, gradient: ceGradient);   // ∇z = softmax(z) − onehot

        // MSE on the softmax outputs, back-propagated through the softmax.
        var p = new float[10];
        Softmax.Forward<float>(logits, p);
        float[] onehot = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var dp = new float[10];
        MeanSquaredError.Forward<float>(p, onehot, gradient: dp, reduction: Reduction.Sum);   // dp = 2(p − onehot)
        var mseGradient = new float[10];
        Softmax.Backward<float>(p, dp, mseGradient);

        float ceNorm = MathF.Sqrt(ceGradient.Sum(g => g * g));     // ≈ 1.414: as large as the mistake is bad
        float mseNorm = MathF.Sqrt(mseGradient.Sum(g => g * g));   // ≈ 0.00096: the softmax is saturated, MSE barely moves
        // </ce-vs-mse>
        return (ceNorm, mseNorm);
    }

    public static (double Gain, double Ratio, double Threshold) InformationGainExample()
    {
        // <information-gain>
        // Quinlan's 14 days of "play tennis?" (0 = no, 1 = yes) and the outlook (0 = sunny, 1 = overcast, 2 = rain).
        int[] play = [0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0];
        int[] outlook = [0, 0, 1, 2, 2, 2, 1, 0, 0, 2, 0, 1, 1, 2];
        double gain = InformationGain.Of(play, outlook, logBase: 2);   // 0.940 − 0.694 ≈ 0.2467 bits
        double ratio = InformationGain.GainRatio(play, outlook);        // gain / split information ≈ 0.1564

        // A numeric feature: the best "temperature ≤ t" split, searched over midpoints of consecutive values.
        double[] temperature = [85, 80, 83, 70, 68, 65, 64, 72, 69, 75, 75, 72, 81, 71];
        var split = InformationGain.BestThreshold<double>(temperature, play);
        double threshold = split.Threshold;                                // 84
        // </information-gain>
        return (gain, ratio, threshold);
    }

    public static (float Naive, float[] P, float Lse, float[] LogP, float Combined) SoftmaxOverflow()
    {
        // <softmax-overflow>
        float[] logits = [1000f, 1000f, float.NegativeInfinity];

        // Naive: e^1000 overflows float (max ≈ 3.4e38, so e^88.7) to +∞, and ∞/∞ is NaN.
        float naive = MathF.Exp(logits[0]) / (MathF.Exp(logits[0]) + MathF.Exp(logits[1]) + MathF.Exp(logits[2]));   // NaN

        // softmax(x) = softmax(x − max x): subtract the max first and every exponent is ≤ 0.
        var p = new float[3];
        Softmax.Forward<float>(logits, p);                 // [0.5, 0.5, 0]
        float lse = LogSumExp.Forward<float>(logits);      // max + log Σ e^(x − max) = 1000 + ln 2: prints 1000.6932
        var logP = new float[3];
        LogSoftmax.Forward<float>(logits, logP);           // (x − max) − log Σ e^(x − max) = [−0.6931, −0.6931, −∞]

        // The running max and sum combine across shards (online softmax), so a long row can be split.
        var a = SoftmaxNormalizer.Of<float>(logits.AsSpan(0, 1));
        var b = SoftmaxNormalizer.Of<float>(logits.AsSpan(1));
        float combined = SoftmaxNormalizer.Combine(a, b).LogSumExp;   // == lse
        // </softmax-overflow>
        return (naive, p, lse, logP, combined);
    }

    public static (float EqualTotal, float[] EqualWeights, float[] NormalizedWeights, float[] UncertaintyWeights) MultiTaskBalancing()
    {
        // <multi-task>
        // Two tasks on different scales: a depth regression (MSE in cm², ≈ 400) and a 10-class cross-entropy (≈ 2.3).
        float[] losses = [400f, 2.3f];
        float[] weights = new float[2];

        var equal = new FixedLossWeights<float>([1f, 1f]);
        float total = equal.Combine(losses, weights);      // 402.3: the depth task's gradient dominates

        var normalized = new InitialLossNormalization<float>(2);
        normalized.Combine(losses, weights);               // w = 1 / L(0) = [0.0025, 0.4348]: every task starts at 1
        float[] normalizedWeights = [.. weights];

        // Uncertainty weighting learns sᵢ = log σᵢ² with w = e^(−s); the optimum is s = log L, so w·L → 1.
        var uncertainty = new UncertaintyWeighting<float>([UncertaintyTerm.Default, UncertaintyTerm.Default],
            initialLogVariances: [0f, 0f], learningRate: 0.05f);
        for (int step = 0; step < 2000; step++)
        {
            uncertainty.Combine(losses, weights);          // a training step would scale task i's gradient by weights[i]
        }
        // weights ≈ [1/400, 1/2.3] = [0.0025, 0.4348]
        // </multi-task>
        return (total, [.. equal.Weights], normalizedWeights, weights);
    }
}
