using System.Numerics;

namespace Losses;

/// <summary>
/// GradNorm (Chen, Badrinarayanan, Lee &amp; Rabinovich, "GradNorm: Gradient Normalization for Adaptive Loss Balancing in
/// Deep Multitask Networks", ICML 2018): learns task weights wᵢ (Σᵢ wᵢ = K) so that the gradient norm of each weighted
/// task loss on the last shared layer W, Gᵢ = ‖∇W wᵢ·Lᵢ‖₂, approaches Ḡ·rᵢ^α, where Ḡ = mean Gⱼ,
/// rᵢ = L̃ᵢ / mean L̃ⱼ and L̃ᵢ = Lᵢ(t) / Lᵢ(0): tasks that have trained less get larger gradients.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>Each step: <see cref="Combine"/> gives the current weights and the total Σ wᵢ·Lᵢ to back-propagate; the caller
/// measures Gᵢ on the shared layer and calls <see cref="Update(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T})"/>, which
/// evaluates the GradNorm objective L_grad = Σᵢ |Gᵢ − Ḡ·rᵢ^α| with the target Ḡ·rᵢ^α held constant (as in the paper),
/// its gradient ∂L_grad/∂wᵢ = sign(Gᵢ − Ḡ·rᵢ^α)·‖∇W Lᵢ‖ (with ‖∇W Lᵢ‖ = Gᵢ / wᵢ), takes the step
/// wᵢ ← max(wᵢ − η·∂L_grad/∂wᵢ, 10⁻⁶), and renormalises wᵢ ← K·wᵢ / Σⱼ wⱼ. The floor (not in the paper, which leaves
/// η small enough) keeps every weight positive. Lᵢ(0) are the losses of the first call of either method.</para>
/// <para>α ≥ 0 sets the strength of the pull towards equal training rates: the paper uses 0.12 to 3 (1.5 for NYUv2);
/// α = 0 asks only for equal gradient norms. Losses must be finite and &gt; 0 (they are divided by), gradient norms
/// finite and ≥ 0; a rejected call changes nothing. Computed in T (one pow per task); per call: O(K), no allocation.</para>
/// <para>State (checkpoint/resume): <see cref="Save"/> returns the weights and the initial losses; <see cref="Restore"/>
/// puts them back; <see cref="Reset"/> returns to wᵢ = 1 and forgets Lᵢ(0).</para>
/// </remarks>
/// <example>
/// <code>
/// var gradNorm = new GradNorm&lt;float&gt;(taskCount: 2, alpha: 1.5f, learningRate: 0.025f);
/// Span&lt;float&gt; w = stackalloc float[2];
/// float total = gradNorm.Combine([loss0, loss1], w);
/// // back-propagate total; measure G[i] = ‖∇W (w[i]·loss_i)‖ on the last shared layer
/// gradNorm.Update([g0, g1], [loss0, loss1]);
/// </code>
/// </example>
/// <seealso cref="ILossBalancer{T}"/>
/// <seealso cref="UncertaintyWeighting{T}"/>
/// <seealso cref="DynamicWeightAverage{T}"/>
public sealed class GradNorm<T> : ILossBalancer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _weights;
    private readonly T[] _initialLosses;
    private readonly T[] _scratch;
    private bool _started;

    /// <summary>Creates a balancer for <paramref name="taskCount"/> tasks, all weights 1.</summary>
    /// <param name="taskCount">K, positive.</param>
    /// <param name="alpha">The asymmetry α, finite and ≥ 0.</param>
    /// <param name="learningRate">η of the weight step, finite and &gt; 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="taskCount"/> is not positive, or <paramref name="alpha"/> or <paramref name="learningRate"/> is out of range.</exception>
    public GradNorm(int taskCount, T alpha, T learningRate)
    {
        Guard.FloatOrDouble<T>();
        int k = LossBalancing.TaskCount(taskCount, nameof(taskCount));
        Alpha = LossBalancing.Parameter(alpha, allowZero: true, nameof(alpha));
        LearningRate = LossBalancing.Parameter(learningRate, allowZero: false, nameof(learningRate));
        _weights = new T[k];
        _weights.AsSpan().Fill(T.One);
        _initialLosses = new T[k];
        _scratch = new T[k];
    }

    /// <inheritdoc/>
    public int TaskCount => _weights.Length;

    /// <summary>The asymmetry α.</summary>
    public T Alpha { get; }

    /// <summary>η of the weight step.</summary>
    public T LearningRate { get; }

    /// <summary>The current weights wᵢ (positive, Σ = K).</summary>
    public ReadOnlySpan<T> Weights => _weights;

    /// <summary>The recorded initial losses Lᵢ(0); empty before the first step.</summary>
    public ReadOnlySpan<T> InitialLosses => _started ? _initialLosses : [];

    /// <summary>Returns Σᵢ wᵢ·Lᵢ with the current weights and writes them; records Lᵢ(0) on the first call.</summary>
    /// <param name="losses">K task losses, finite and &gt; 0.</param>
    /// <param name="weights">Receives the K weights; at least K long.</param>
    /// <returns>Σᵢ wᵢ·Lᵢ.</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries or <paramref name="weights"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is ≤ 0 or not finite (the message names its index); nothing is recorded.</exception>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights)
    {
        LossBalancing.Values(losses, _weights.Length, LossDomain.Positive, nameof(losses));
        LossBalancing.Destination(weights, _weights.Length, nameof(weights));
        T total = LossBalancing.WeightedSum<T>(_weights, losses);
        RecordInitial(losses);
        _weights.CopyTo(weights);
        return total;
    }

    /// <summary>One GradNorm step on the weights (see the class remarks).</summary>
    /// <param name="weightedGradientNorms">K norms Gᵢ = ‖∇W wᵢ·Lᵢ‖₂ of the gradient of each <em>weighted</em> task loss on the shared layer, finite and ≥ 0.</param>
    /// <param name="losses">K task losses Lᵢ(t) of the same step, finite and &gt; 0.</param>
    /// <returns>The GradNorm objective L_grad = Σᵢ |Gᵢ − Ḡ·rᵢ^α| before the step.</returns>
    /// <exception cref="ArgumentException">An input does not have K entries.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names the argument and index); nothing is updated.</exception>
    public T Update(ReadOnlySpan<T> weightedGradientNorms, ReadOnlySpan<T> losses) =>
        Update(weightedGradientNorms, losses, _scratch);

    /// <summary>One GradNorm step on the weights, also writing the objective's gradient ∂L_grad/∂wᵢ.</summary>
    /// <param name="weightedGradientNorms">K norms Gᵢ = ‖∇W wᵢ·Lᵢ‖₂, finite and ≥ 0.</param>
    /// <param name="losses">K task losses Lᵢ(t), finite and &gt; 0.</param>
    /// <param name="weightGradient">Receives ∂L_grad/∂wᵢ = sign(Gᵢ − Ḡ·rᵢ^α)·Gᵢ/wᵢ at the weights before the step; at least K long.</param>
    /// <returns>The GradNorm objective before the step.</returns>
    /// <exception cref="ArgumentException">An input does not have K entries or <paramref name="weightGradient"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (the message names the argument and index); nothing is updated.</exception>
    /// <example>
    /// <code>
    /// // K = 2, α = 1, w = [1, 1], L(0) = [1, 1], L = [0.5, 1]: r = [2/3, 4/3]; G = [2, 1]: Ḡ = 1.5,
    /// // targets [1, 2], L_grad = 2, ∂L_grad/∂w = [+2, −1]
    /// </code>
    /// </example>
    public T Update(ReadOnlySpan<T> weightedGradientNorms, ReadOnlySpan<T> losses, Span<T> weightGradient)
    {
        int k = _weights.Length;
        LossBalancing.Values(weightedGradientNorms, k, LossDomain.NonNegative, nameof(weightedGradientNorms));
        LossBalancing.Values(losses, k, LossDomain.Positive, nameof(losses));
        LossBalancing.Destination(weightGradient, k, nameof(weightGradient));
        RecordInitial(losses);

        T count = T.CreateTruncating(k);
        T meanNorm = T.Zero, meanRatio = T.Zero;
        for (int i = 0; i < k; i++)
        {
            meanNorm += weightedGradientNorms[i];
            meanRatio += losses[i] / _initialLosses[i];
        }
        meanNorm /= count;
        meanRatio /= count;

        T objective = T.Zero, sum = T.Zero;
        T floor = T.CreateTruncating(1e-6);
        for (int i = 0; i < k; i++)
        {
            T target = meanNorm * T.Pow(losses[i] / _initialLosses[i] / meanRatio, Alpha);
            T difference = weightedGradientNorms[i] - target;
            objective += T.Abs(difference);
            T gradient = T.CreateTruncating(T.Sign(difference)) * (weightedGradientNorms[i] / _weights[i]);
            weightGradient[i] = gradient;
            _weights[i] = T.Max(_weights[i] - LearningRate * gradient, floor);
            sum += _weights[i];
        }
        T scale = count / sum;
        for (int i = 0; i < k; i++)
        {
            _weights[i] *= scale;
        }
        return objective;
    }

    /// <summary>Returns every weight to 1 and forgets Lᵢ(0).</summary>
    public void Reset()
    {
        _weights.AsSpan().Fill(T.One);
        _started = false;
    }

    /// <summary>A snapshot of the state, for checkpoints.</summary>
    /// <returns>The weights and the initial losses (new arrays; the latter empty before the first step).</returns>
    public GradNormState<T> Save() => new((T[])_weights.Clone(), InitialLosses.ToArray());

    /// <summary>Restores a snapshot made by <see cref="Save"/> (possibly by another instance with the same task count).</summary>
    /// <param name="state">The snapshot; its arrays are copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> or one of its arrays is null.</exception>
    /// <exception cref="ArgumentException">The weights are not K long, or the initial losses are neither empty nor K long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight or an initial loss is not finite and &gt; 0 (the message names its index).</exception>
    public void Restore(GradNormState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.Weights, "state.Weights");
        ArgumentNullException.ThrowIfNull(state.InitialLosses, "state.InitialLosses");
        LossBalancing.Values<T>(state.Weights, _weights.Length, LossDomain.Positive, "state.Weights");
        bool started = state.InitialLosses.Length != 0;
        if (started)
        {
            LossBalancing.Values<T>(state.InitialLosses, _weights.Length, LossDomain.Positive, "state.InitialLosses");
            state.InitialLosses.CopyTo(_initialLosses, 0);
        }
        state.Weights.CopyTo(_weights, 0);
        _started = started;
    }

    private void RecordInitial(ReadOnlySpan<T> losses)
    {
        if (!_started)
        {
            losses.CopyTo(_initialLosses);
            _started = true;
        }
    }
}

/// <summary>The state of a <see cref="GradNorm{T}"/>.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="Weights">K weights wᵢ (positive).</param>
/// <param name="InitialLosses">K initial losses Lᵢ(0), or empty before the first step.</param>
public sealed record GradNormState<T>(T[] Weights, T[] InitialLosses)
    where T : unmanaged, IFloatingPointIeee754<T>;
