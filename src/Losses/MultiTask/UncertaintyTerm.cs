namespace Losses;

/// <summary>The form of one task's term in <see cref="UncertaintyWeighting{T}"/>, with s = log σ² its learnable log-variance.</summary>
/// <seealso cref="UncertaintyWeighting{T}"/>
public enum UncertaintyTerm
{
    /// <summary>exp(−s)·L + s: the common simplified form (weight exp(−s), gradient with respect to s: 1 − exp(−s)·L).</summary>
    Default = 0,

    /// <summary>
    /// ½·exp(−s)·L + ½·s = L / (2σ²) + log σ: Kendall, Gal &amp; Cipolla's Gaussian-likelihood term for a regression task
    /// with a squared-error loss L (weight ½·exp(−s), gradient ½·(1 − exp(−s)·L)).
    /// </summary>
    Regression = 1,
}
