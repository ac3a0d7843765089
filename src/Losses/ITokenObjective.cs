using System.Numerics;

namespace Losses;

/// <summary>
/// A per-token objective for <see cref="TokenLogProbabilities.ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>:
/// given one row's log-probability log p_t and entropy H, the upstream gradients α = ∂L/∂log p_t and β = ∂L/∂H of the
/// loss L. Every policy-gradient loss whose per-token gradient depends only on that token's own figures fits: REINFORCE
/// (α = −Aᵢ/N), PPO's clipped surrogate (α from the ratio exp(log p_t − log p_old), the advantage and the clip range),
/// GRPO, an entropy bonus (β = −coefficient/N).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>Implement it on a struct (the call is generic over it, so it is inlined and nothing is allocated); keep the per-row
/// inputs it needs (advantages, old log-probabilities) in arrays or memory it references. It is called once for every row
/// whose target is not the ignore index, after that row's forward; with <c>maxDegreeOfParallelism</c> &gt; 1 from several
/// threads at once and in no fixed order, each thread on a copy of the struct: write per-row results (a per-token loss) to
/// row-indexed storage, never to the struct's own fields. The gradients it returns are used as they are: a NaN or infinite
/// α or β makes that row's gradient non-finite (other rows are unaffected); an exception it throws propagates, with the
/// rows before it written.</para>
/// <para>REINFORCE with an entropy bonus (the README's RL section runs it):</para>
/// <code>
/// // REINFORCE with an entropy bonus, mean over the tokens: L = −(1/N)·Σ (Aᵢ·log pᵢ + 0.01·Hᵢ).
/// readonly struct Reinforce(float[] advantages) : ITokenObjective&lt;float&gt;
/// {
///     public void Gradients(int row, float logProbability, float entropy, out float logProbabilityGradient, out float entropyGradient)
///     {
///         logProbabilityGradient = -advantages[row] / advantages.Length;
///         entropyGradient = -0.01f / advantages.Length;
///     }
/// }
/// </code>
/// </remarks>
public interface ITokenObjective<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The upstream gradients of row <paramref name="row"/>.</summary>
    /// <param name="row">The row (token) index in the batch.</param>
    /// <param name="logProbability">log softmax(x)[t] of the row (≤ 0; −∞ for a masked target).</param>
    /// <param name="entropy">H(softmax(x)) of the row, in nats.</param>
    /// <param name="logProbabilityGradient">Receives α = ∂L/∂log p_t.</param>
    /// <param name="entropyGradient">Receives β = ∂L/∂H (0 when the loss has no entropy term: the backward then skips it).</param>
    void Gradients(int row, T logProbability, T entropy, out T logProbabilityGradient, out T entropyGradient);
}
