using System.Numerics;

namespace Losses;

/// <summary>
/// A multi-task loss balancer: called once per training step with the K task losses Lᵢ, it writes the weight wᵢ of each
/// task and returns the total loss to back-propagate (Σ wᵢ·Lᵢ, plus any regulariser of the method).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>Implementations allocate nothing per call. Input is validated before any state changes: a rejected call leaves
/// the balancer exactly as it was.</para>
/// <para>Scale each task's gradient by its weight (the gradient of the total with respect to the model is Σ wᵢ·∇Lᵢ),
/// or back-propagate the returned total directly.</para>
/// <para>Thread safety: every balancer in this library may be shared by threads (the stateful ones take a per-instance
/// lock; each type's remarks say what is and is not synchronised). An output span may be its input exactly (in place)
/// but not shifted over it: that throws <see cref="ArgumentException"/> naming both.</para>
/// </remarks>
/// <example>
/// <code>
/// ILossBalancer&lt;float&gt; balancer = new DynamicWeightAverage&lt;float&gt;(taskCount: 2, temperature: 2f);
/// Span&lt;float&gt; weights = stackalloc float[2];
/// float segmentationLoss = 0.7f, depthLoss = 0.2f;
/// float total = balancer.Combine([segmentationLoss, depthLoss], weights);
/// </code>
/// </example>
/// <seealso cref="FixedLossWeights{T}"/>
/// <seealso cref="InitialLossNormalization{T}"/>
/// <seealso cref="UncertaintyWeighting{T}"/>
/// <seealso cref="DynamicWeightAverage{T}"/>
/// <seealso cref="GradNorm{T}"/>
public interface ILossBalancer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The number of tasks K.</summary>
    int TaskCount { get; }

    /// <summary>Weighs the task losses of one step and returns the total loss.</summary>
    /// <param name="losses">K task losses Lᵢ of this step (see each balancer for the values it accepts).</param>
    /// <param name="weights">Receives the K weights wᵢ used for this step; at least K long.</param>
    /// <returns>The total loss of this step.</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries, or <paramref name="weights"/> is shorter than K.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is outside the balancer's domain; the message names its index.</exception>
    T Combine(ReadOnlySpan<T> losses, Span<T> weights);

    /// <summary>Returns the balancer to the state it had when it was constructed.</summary>
    void Reset();
}
