namespace Losses.Kernels;

/// <summary>The <see cref="Reduction"/> of a batch total: which reductions a function takes, and the divisor of Mean.</summary>
internal static class Reductions
{
    /// <summary>None, Mean and Sum (and BatchMean where <paramref name="batchMean"/>).</summary>
    public static void Check(Reduction reduction, bool batchMean = false)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum) && !(batchMean && reduction == Reduction.BatchMean))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, batchMean
                ? "Supported reductions: None, Mean, Sum and BatchMean."
                : "Supported reductions: None, Mean and Sum.");
        }
    }

    /// <summary>The factor of each element's gradient: 1/divisor for Mean and BatchMean, else 1.</summary>
    public static double GradientScale(Reduction reduction, double divisor) =>
        reduction is Reduction.Mean or Reduction.BatchMean ? 1.0 / divisor : 1.0;

    /// <summary>The reduced loss from the total: total/divisor for Mean and BatchMean (0/0 = NaN, as PyTorch), else the total.</summary>
    public static double Apply(double total, Reduction reduction, double divisor) =>
        reduction is Reduction.Mean or Reduction.BatchMean ? (divisor == 0 ? double.NaN : total / divisor) : total;
}
