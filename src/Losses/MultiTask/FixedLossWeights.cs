using System.Numerics;

namespace Losses;

/// <summary>
/// Constant task weights: total = Σᵢ wᵢ·Lᵢ with the wᵢ given at construction (the baseline every dynamic balancer is
/// compared with; equal weights are <c>new FixedLossWeights&lt;T&gt;([1, 1, …])</c>).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>Losses may be any finite value (negative log-likelihoods of continuous targets can be negative); NaN or ±∞ is
/// rejected with the task index. Weights must be finite and ≥ 0. The total is accumulated in double, so it is correctly
/// rounded to within 1 ulp for float.</para>
/// <para>There is no state: <see cref="Reset"/> does nothing. Per call: O(K), no allocation.</para>
/// <para>Thread safety: immutable, so one instance may be shared by threads without a lock.</para>
/// </remarks>
/// <example>
/// <code>
/// var balancer = new FixedLossWeights&lt;double&gt;([1.0, 0.5]);
/// Span&lt;double&gt; w = stackalloc double[2];
/// double total = balancer.Combine([2.0, 4.0], w); // 1·2 + 0.5·4 = 4, w = [1, 0.5]
/// </code>
/// </example>
/// <seealso cref="ILossBalancer{T}"/>
/// <seealso cref="InitialLossNormalization{T}"/>
public sealed class FixedLossWeights<T> : ILossBalancer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _weights;

    /// <summary>Creates a balancer with the constant weights <paramref name="weights"/>.</summary>
    /// <param name="weights">K weights, each finite and ≥ 0; copied.</param>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative or not finite (the message names its index).</exception>
    public FixedLossWeights(ReadOnlySpan<T> weights)
    {
        Guard.FloatOrDouble<T>();
        if (weights.IsEmpty)
        {
            throw new ArgumentException("At least one task weight is needed.", nameof(weights));
        }
        LossBalancing.Values(weights, weights.Length, LossDomain.NonNegative, nameof(weights));
        _weights = weights.ToArray();
    }

    /// <inheritdoc/>
    public int TaskCount => _weights.Length;

    /// <summary>The constant weights wᵢ.</summary>
    public ReadOnlySpan<T> Weights => _weights;

    /// <summary>Returns Σᵢ wᵢ·Lᵢ and writes the constant weights.</summary>
    /// <param name="losses">K finite task losses.</param>
    /// <param name="weights">Receives the K weights; at least K long.</param>
    /// <returns>Σᵢ wᵢ·Lᵢ.</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries, <paramref name="weights"/> is too short or partly overlaps <paramref name="losses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is NaN or ±∞ (the message names its index).</exception>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights)
    {
        LossBalancing.Combine(losses, weights, _weights.Length, LossDomain.Finite);
        T total = LossBalancing.WeightedSum<T>(_weights, losses);
        _weights.CopyTo(weights);
        return total;
    }

    /// <summary>Does nothing: fixed weights have no state.</summary>
    public void Reset()
    {
    }
}
