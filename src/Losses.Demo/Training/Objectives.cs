namespace Losses.Demo.Training;

/// <summary>
/// The losses the demo trains with, each one call into the Losses library that returns the mean loss of a batch and
/// writes dL/dlogits in the same call.
/// </summary>
internal static class Objectives
{
    /// <summary>Mean softmax cross-entropy of integer labels (optionally label-smoothed) and its gradient: one fused call.</summary>
    public static float CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classCount, float labelSmoothing, Span<float> gradient, Span<float> scratch) =>
        Losses.CrossEntropy.Forward<float>(logits[..(labels.Length * classCount)], labels, classCount, gradient[..(labels.Length * classCount)],
            labelSmoothing: labelSmoothing);

    /// <summary>
    /// Mean over rows of Σ_c (softmax(z)_c − onehot_c)² (the Brier score: PyTorch's <c>mse_loss</c> summed over classes)
    /// and its gradient through the softmax: MeanSquaredError then Softmax.Backward.
    /// </summary>
    public static float SquaredErrorOfSoftmax(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classCount, Span<float> gradient, Span<float> scratch)
    {
        int rows = labels.Length;
        int n = rows * classCount;
        Span<float> probabilities = scratch[..n];
        Span<float> oneHot = scratch.Slice(n, n);
        Span<float> dLoss = gradient[..n];
        Softmax.Forward<float>(logits[..n], probabilities, classCount);
        oneHot.Clear();
        for (int r = 0; r < rows; r++)
        {
            oneHot[r * classCount + labels[r]] = 1f;
        }

        // Sum over everything, then per row: the Brier score's scale (Mean would also divide by the class count).
        float total = MeanSquaredError.Forward<float>(probabilities, oneHot, dLoss, reduction: Reduction.Sum);
        for (int i = 0; i < n; i++)
        {
            dLoss[i] /= rows;
        }
        Softmax.Backward<float>(probabilities, dLoss, dLoss, classCount);
        return total / rows;
    }

    /// <summary>
    /// Mean binary cross-entropy from logits with <paramref name="posWeight"/> on the positive term (PyTorch's
    /// <c>binary_cross_entropy_with_logits</c>) and its gradient: one fused call.
    /// </summary>
    public static float BinaryCrossEntropyWithLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, float posWeight, Span<float> gradient) =>
        BinaryCrossEntropy.ForwardWithLogits<float>(logits[..targets.Length], targets, gradient[..targets.Length],
            posWeight: new ReadOnlySpan<float>(in posWeight));

    /// <summary>
    /// The threshold t of one numeric feature that maximises the information gain of the split "value ≤ t", in nats:
    /// the library's best-threshold search (one sort, one incremental scan).
    /// </summary>
    public static (float Threshold, double Gain) BestThreshold(ReadOnlySpan<float> values, ReadOnlySpan<int> labels)
    {
        var split = InformationGain.BestThreshold<float>(values, labels, logBase: Math.E);
        return (split.Threshold, split.Gain);
    }

}
