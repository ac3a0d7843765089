using System.Globalization;
using System.Text;

namespace Losses;

/// <summary>
/// The figures of a <see cref="ModelComparison"/>, named after llama.cpp's <c>perplexity --kl-divergence</c> report:
/// Q is the compared model, P (the reference, "base") the model it is compared with. Uncertainties are standard errors
/// computed as llama.cpp does (0 with 10 tokens or fewer).
/// </summary>
public sealed record ModelComparisonResult
{
    /// <summary>Tokens counted.</summary>
    public long TokenCount { get; init; }

    /// <summary>Rows skipped for the ignore index.</summary>
    public long IgnoredCount { get; init; }

    /// <summary>Rows left out because a logit of either model was NaN or +∞.</summary>
    public long NonFiniteCount { get; init; }

    /// <summary>PPL(Q) = exp(mean −log Q(t)).</summary>
    public double Perplexity { get; init; }

    /// <summary>Standard error of <see cref="Perplexity"/>.</summary>
    public double PerplexityError { get; init; }

    /// <summary>PPL(P).</summary>
    public double ReferencePerplexity { get; init; }

    /// <summary>Standard error of <see cref="ReferencePerplexity"/>.</summary>
    public double ReferencePerplexityError { get; init; }

    /// <summary>The correlation of ln PPL(Q) and ln PPL(P) (their per-token losses).</summary>
    public double LogPerplexityCorrelation { get; init; }

    /// <summary>ln(PPL(Q)/PPL(P)) = mean of log P(t) − log Q(t): the mean difference of the target's log-probability.</summary>
    public double LogPerplexityRatio { get; init; }

    /// <summary>Standard error of <see cref="LogPerplexityRatio"/> (with the covariance of the two models' losses).</summary>
    public double LogPerplexityRatioError { get; init; }

    /// <summary>PPL(Q)/PPL(P).</summary>
    public double PerplexityRatio { get; init; }

    /// <summary>Standard error of <see cref="PerplexityRatio"/>.</summary>
    public double PerplexityRatioError { get; init; }

    /// <summary>PPL(Q) − PPL(P).</summary>
    public double PerplexityDifference { get; init; }

    /// <summary>Standard error of <see cref="PerplexityDifference"/>.</summary>
    public double PerplexityDifferenceError { get; init; }

    /// <summary>Mean KL(P ‖ Q) per token, nats.</summary>
    public double MeanDivergence { get; init; }

    /// <summary>Standard error of <see cref="MeanDivergence"/>.</summary>
    public double MeanDivergenceError { get; init; }

    /// <summary>The largest per-token KL.</summary>
    public double MaxDivergence { get; init; }

    /// <summary>The smallest per-token KL (slightly negative values are rounding in the models' logits).</summary>
    public double MinDivergence { get; init; }

    /// <summary>KL percentiles at 99.9, 99, 95, 90, 50 (median), 10, 5, 1 and 0.1 %.</summary>
    public IReadOnlyList<Percentile> DivergencePercentiles { get; init; } = [];

    /// <summary>0 when the percentiles are exact; otherwise their relative error bound (2⁻⁸, the histogram's).</summary>
    public double PercentileRelativeError { get; init; }

    /// <summary>Mean of Δp = Q(t) − P(t).</summary>
    public double MeanProbabilityDifference { get; init; }

    /// <summary>Standard error of <see cref="MeanProbabilityDifference"/>.</summary>
    public double MeanProbabilityDifferenceError { get; init; }

    /// <summary>√(mean Δp²).</summary>
    public double RmsProbabilityDifference { get; init; }

    /// <summary>Standard error of <see cref="RmsProbabilityDifference"/>.</summary>
    public double RmsProbabilityDifferenceError { get; init; }

    /// <summary>max |Δp|.</summary>
    public double MaxProbabilityDifference { get; init; }

    /// <summary>The fraction of tokens whose argmax is the same under both models ("Same top p").</summary>
    public double SameTopFraction { get; init; }

    /// <summary>Standard error of <see cref="SameTopFraction"/>: √(f(1 − f)/(n − 1)).</summary>
    public double SameTopFractionError { get; init; }

    /// <summary>The statistics as llama.cpp prints them.</summary>
    /// <returns>The text table.</returns>
    /// <example>
    /// <code>
    /// var compare = new ModelComparison(classCount: 4);
    /// float[] floatModelLogits = [2f, 0f, 0f, 0f, 0f, 1f, 0f, 0f]; // 2 tokens × 4 classes
    /// float[] halfModelLogits = [2f, 0.1f, 0f, 0f, 0f, 1f, 0.1f, 0f];
    /// int[] targets = [0, 1];
    /// compare.Add&lt;float&gt;(floatModelLogits, halfModelLogits, targets);
    /// Console.WriteLine(compare.ToResult().ToTable());
    /// </code>
    /// </example>
    public string ToTable()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Tokens: {TokenCount} (ignored {IgnoredCount}, non-finite {NonFiniteCount}{(NonFiniteCount > 0 ? " LEFT OUT" : "")})");
        text.AppendLine("====== Perplexity statistics ======");
        text.AppendLine(c, $"Mean PPL(Q)                   : {Perplexity,10:F6} ± {PerplexityError,10:F6}");
        text.AppendLine(c, $"Mean PPL(base)                : {ReferencePerplexity,10:F6} ± {ReferencePerplexityError,10:F6}");
        text.AppendLine(c, $"Cor(ln(PPL(Q)), ln(PPL(base))): {100 * LogPerplexityCorrelation,6:F2}%");
        text.AppendLine(c, $"Mean ln(PPL(Q)/PPL(base))     : {LogPerplexityRatio,10:F6} ± {LogPerplexityRatioError,10:F6}");
        text.AppendLine(c, $"Mean PPL(Q)/PPL(base)         : {PerplexityRatio,10:F6} ± {PerplexityRatioError,10:F6}");
        text.AppendLine(c, $"Mean PPL(Q)-PPL(base)         : {PerplexityDifference,10:F6} ± {PerplexityDifferenceError,10:F6}");
        text.AppendLine();
        text.AppendLine("====== KL divergence statistics ======");
        text.AppendLine(c, $"Mean    KLD: {MeanDivergence,10:F6} ± {MeanDivergenceError,10:F6}");
        text.AppendLine(c, $"Maximum KLD: {MaxDivergence,10:F6}");
        foreach (var p in DivergencePercentiles)
        {
            string label = p.Fraction == 0.5 ? "Median " : string.Create(c, $"{100 * p.Fraction,4:0.0}%  ");
            text.AppendLine(c, $"{label} KLD: {p.Value,10:F6}");
        }
        text.AppendLine(c, $"Minimum KLD: {MinDivergence,10:F6}");
        if (PercentileRelativeError > 0)
        {
            text.AppendLine(c, $"(percentiles within {100 * PercentileRelativeError:F2}% relative: histogram beyond the exact capacity)");
        }
        text.AppendLine();
        text.AppendLine("====== Token probability statistics ======");
        text.AppendLine(c, $"Mean    Δp: {100 * MeanProbabilityDifference,6:F3} ± {100 * MeanProbabilityDifferenceError,5:F3} %");
        text.AppendLine(c, $"Maximum |Δp|: {100 * MaxProbabilityDifference,6:F3}%");
        text.AppendLine(c, $"RMS Δp    : {100 * RmsProbabilityDifference,6:F3} ± {100 * RmsProbabilityDifferenceError,5:F3} %");
        text.AppendLine(c, $"Same top p: {100 * SameTopFraction,6:F3} ± {100 * SameTopFractionError,5:F3} %");
        return text.ToString();
    }
}
