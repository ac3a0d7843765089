namespace Losses.Demo.Training;

/// <summary>
/// The losses the demo trains with, each as one call that returns the mean loss of a batch and writes dL/dlogits.
/// Every function here is a thin call into the Losses library where the library has it; where a library function has
/// not landed yet, a short stand-in built on the library's LogSoftmax/Softmax is marked TODO with its issue.
/// </summary>
internal static class Objectives
{
    /// <summary>Library functions this file still stands in for (empty once they have all landed); printed by the demo.</summary>
    public const string StandIns = "CrossEntropy, BinaryCrossEntropy, MeanSquaredError (issue 4)";

    /// <summary>Mean softmax cross-entropy of integer labels (optionally label-smoothed, PyTorch's formula) and its gradient.</summary>
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classCount, float labelSmoothing, Span<float> gradient, Span<float> scratch)
    {
        // TODO(issue-4): use CrossEntropy.Forward with its fused gradient (labelSmoothing) once it lands on main.
        int rows = labels.Length;
        Span<float> logProbabilities = scratch[..(rows * classCount)];
        LogSoftmax.Forward<float>(logits[..(rows * classCount)], logProbabilities, classCount);
        float off = labelSmoothing / classCount;
        float on = 1f - labelSmoothing + off;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < classCount; c++)
            {
                int i = r * classCount + c;
                float target = c == labels[r] ? on : off;
                total -= target * logProbabilities[i];
                gradient[i] = (MathF.Exp(logProbabilities[i]) - target) / rows;
            }
        }
        return (float)(total / rows);
    }

    /// <summary>
    /// Mean over rows of Σ_c (softmax(z)_c − onehot_c)² (the Brier score; PyTorch's <c>mse_loss</c> summed over classes)
    /// and its gradient through the softmax (the library's Softmax.Backward).
    /// </summary>
    public static float SquaredErrorOfSoftmax(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classCount, Span<float> gradient, Span<float> scratch)
    {
        // TODO(issue-4): use MeanSquaredError.Forward for the loss and its gradient once it lands on main.
        int rows = labels.Length;
        int n = rows * classCount;
        Span<float> probabilities = scratch[..n];
        Span<float> probabilityGradient = scratch.Slice(n, n);
        Softmax.Forward<float>(logits[..n], probabilities, classCount);
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < classCount; c++)
            {
                int i = r * classCount + c;
                float error = probabilities[i] - (c == labels[r] ? 1f : 0f);
                total += error * error;
                probabilityGradient[i] = 2 * error / rows;
            }
        }
        Softmax.Backward<float>(probabilities, probabilityGradient, gradient[..n], classCount);
        return (float)(total / rows);
    }

    /// <summary>
    /// Mean binary cross-entropy from logits with <paramref name="posWeight"/> on the positive term (PyTorch's
    /// <c>binary_cross_entropy_with_logits</c>): −[w·y·log σ(z) + (1−y)·log(1−σ(z))], and its gradient.
    /// </summary>
    public static float BinaryCrossEntropyWithLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, float posWeight, Span<float> gradient)
    {
        // TODO(issue-4): use BinaryCrossEntropy.FromLogits (posWeight) with its fused gradient once it lands on main.
        int rows = targets.Length;
        double total = 0;
        for (int i = 0; i < rows; i++)
        {
            float z = logits[i];
            float y = targets[i];
            // log σ(z) = −softplus(−z) and log(1 − σ(z)) = −softplus(z), stable for any z.
            total += posWeight * y * Softplus(-z) + (1 - y) * Softplus(z);
            float sigma = 1f / (1f + MathF.Exp(-z));
            gradient[i] = (sigma * (posWeight * y + 1 - y) - posWeight * y) / rows;
        }
        return (float)(total / rows);
    }

    /// <summary>
    /// The threshold t of one numeric feature that maximises the information gain of the split "value ≤ t", in nats:
    /// the library's best-threshold search (one sort, one incremental scan).
    /// </summary>
    public static (float Threshold, double Gain) BestThreshold(ReadOnlySpan<float> values, ReadOnlySpan<int> labels)
    {
        var split = InformationGain.BestThreshold<float>(values, labels, logBase: Math.E);
        return (split.Threshold, split.Gain);
    }

    private static float Softplus(float x) => MathF.Max(x, 0) + MathF.Log(1 + MathF.Exp(-MathF.Abs(x)));
}
