namespace Losses;

/// <summary>
/// How a batched loss combines its per-row (or per-element) losses, as PyTorch's <c>reduction</c> argument.
/// </summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per row (or per element) is written to the caller's destination.</summary>
    None = 0,

    /// <summary>The mean of the losses (for weighted losses, the weighted mean with PyTorch's divisor; see each loss).</summary>
    Mean = 1,

    /// <summary>The sum of the losses.</summary>
    Sum = 2,

    /// <summary>The sum of the losses divided by the number of rows (PyTorch's <c>kl_div(reduction="batchmean")</c>).</summary>
    BatchMean = 3,
}
