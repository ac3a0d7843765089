using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

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
/// finite and ≥ 0; a rejected call changes nothing. Computed in double (one pow per task); per call: O(K), no allocation.</para>
/// <para>A step whose target, weight or objective would not be finite (say Lᵢ(0) = 10⁻³⁰⁰ and Lᵢ = 1, or a weight at the
/// floor with a huge Gᵢ) is rejected with <see cref="ArgumentOutOfRangeException"/> before anything changes.</para>
/// <para>State (checkpoint/resume): <see cref="Save"/> returns the weights and the initial losses; <see cref="Restore"/>
/// puts them back; <see cref="Reset"/> returns to wᵢ = 1 and forgets Lᵢ(0).</para>
/// <para>Thread safety: every method takes a per-instance lock, so one instance may be shared by threads; each call sees
/// and leaves a consistent state (Σ wᵢ = K). The <see cref="Weights"/> and <see cref="InitialLosses"/> views are not
/// synchronised.</para>
/// </remarks>
/// <example>
/// <code>
/// var gradNorm = new GradNorm&lt;float&gt;(taskCount: 2, alpha: 1.5, learningRate: 0.025);
/// Span&lt;float&gt; w = stackalloc float[2];
/// float loss0 = 0.9f, loss1 = 2.3f;          // this step's task losses
/// float total = gradNorm.Combine([loss0, loss1], w);
/// // back-propagate total; measure G[i] = ‖∇W (w[i]·loss_i)‖ on the last shared layer
/// float g0 = 0.4f, g1 = 1.1f;
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
    private readonly T[] _nextWeights;
    private readonly T[] _gradient;
    private readonly Lock _gate = new();
    private bool _started;

    /// <summary>Creates a balancer for <paramref name="taskCount"/> tasks, all weights 1.</summary>
    /// <param name="taskCount">K, positive.</param>
    /// <param name="alpha">The asymmetry α, finite and ≥ 0; default 1.5 (the paper's NYUv2 value and LibMTL's default).</param>
    /// <param name="learningRate">η of the weight step, finite and &gt; 0; default 0.025 (the paper's).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="taskCount"/> is not positive, or <paramref name="alpha"/> or <paramref name="learningRate"/> is out of range.</exception>
    public GradNorm(int taskCount, double alpha = 1.5, double learningRate = 0.025)
    {
        int k = LossBalancing.TaskCount<T>(taskCount, nameof(taskCount));
        Alpha = LossBalancing.Parameter(alpha, allowZero: true, nameof(alpha));
        LearningRate = LossBalancing.Parameter(learningRate, allowZero: false, nameof(learningRate));
        _weights = new T[k];
        _weights.AsSpan().Fill(T.One);
        _initialLosses = new T[k];
        _nextWeights = new T[k];
        _gradient = new T[k];
    }

    /// <inheritdoc/>
    public int TaskCount => _weights.Length;

    /// <summary>The asymmetry α.</summary>
    public double Alpha { get; }

    /// <summary>η of the weight step.</summary>
    public double LearningRate { get; }

    /// <summary>The current weights wᵢ (positive, Σ = K): a live view, not synchronised; use <see cref="Save"/> for a consistent copy while other threads update.</summary>
    public ReadOnlySpan<T> Weights => _weights;

    /// <summary>The recorded initial losses Lᵢ(0); empty before the first step (a live view, as <see cref="Weights"/>).</summary>
    public ReadOnlySpan<T> InitialLosses => _started ? _initialLosses : [];

    /// <summary>Returns Σᵢ wᵢ·Lᵢ with the current weights and writes them; records Lᵢ(0) on the first call.</summary>
    /// <param name="losses">K task losses, finite and &gt; 0.</param>
    /// <param name="weights">Receives the K weights; at least K long; may be <paramref name="losses"/> itself, not shifted over it.</param>
    /// <returns>Σᵢ wᵢ·Lᵢ.</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries, <paramref name="weights"/> is too short or partly overlaps <paramref name="losses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is ≤ 0 or not finite (the message names its index), or the total is not finite; nothing is recorded.</exception>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights)
    {
        LossBalancing.Combine(losses, weights, _weights.Length, LossDomain.Positive);
        lock (_gate)
        {
            T total = LossBalancing.FiniteWeightedSum<T>(_weights, losses);
            RecordInitial(losses);
            _weights.CopyTo(weights);
            return total;
        }
    }

    /// <summary>One GradNorm step on the weights (see the class remarks).</summary>
    /// <param name="weightedGradientNorms">K norms Gᵢ = ‖∇W wᵢ·Lᵢ‖₂ of the gradient of each <em>weighted</em> task loss on the shared layer, finite and ≥ 0.</param>
    /// <param name="losses">K task losses Lᵢ(t) of the same step, finite and &gt; 0.</param>
    /// <returns>The GradNorm objective L_grad = Σᵢ |Gᵢ − Ḡ·rᵢ^α| before the step.</returns>
    /// <exception cref="ArgumentException">An input does not have K entries.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range, or the step would give a non-finite objective or
    /// weight (the message names the argument and index); nothing is updated.</exception>
    public T Update(ReadOnlySpan<T> weightedGradientNorms, ReadOnlySpan<T> losses) =>
        Update(weightedGradientNorms, losses, _gradient);

    /// <summary>One GradNorm step on the weights, also writing the objective's gradient ∂L_grad/∂wᵢ.</summary>
    /// <param name="weightedGradientNorms">K norms Gᵢ = ‖∇W wᵢ·Lᵢ‖₂, finite and ≥ 0.</param>
    /// <param name="losses">K task losses Lᵢ(t), finite and &gt; 0.</param>
    /// <param name="weightGradient">Receives ∂L_grad/∂wᵢ = sign(Gᵢ − Ḡ·rᵢ^α)·Gᵢ/wᵢ at the weights before the step; at least K
    /// long; may be one of the inputs exactly, not shifted over it.</param>
    /// <returns>The GradNorm objective before the step.</returns>
    /// <exception cref="ArgumentException">An input does not have K entries, <paramref name="weightGradient"/> is too short or
    /// partly overlaps an input.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range, or the step would give a non-finite objective or
    /// weight (the message names the argument and index); nothing is updated.</exception>
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
        LossBalancing.NoOverlap(weightedGradientNorms, weightGradient, nameof(weightedGradientNorms), nameof(weightGradient));
        LossBalancing.NoOverlap(losses, weightGradient, nameof(losses), nameof(weightGradient));
        lock (_gate)
        {
            // Everything is computed in double into scratch and checked before the state (or weightGradient) is written:
            // a step either applies wholly or not at all.
            ReadOnlySpan<T> initial = _started ? _initialLosses : losses;
            double meanNorm = 0, meanRatio = 0;
            for (int i = 0; i < k; i++)
            {
                meanNorm += double.CreateTruncating(weightedGradientNorms[i]);
                meanRatio += double.CreateTruncating(losses[i]) / double.CreateTruncating(initial[i]);
            }
            meanNorm /= k;
            meanRatio /= k;
            if (!double.IsFinite(meanNorm) || !double.IsFinite(meanRatio))
            {
                LossBalancing.ThrowNotFinite(double.IsFinite(meanNorm) ? nameof(losses) : nameof(weightedGradientNorms), 0, "the mean over the tasks");
            }

            double objective = 0, sum = 0;
            const double Floor = 1e-6;
            for (int i = 0; i < k; i++)
            {
                double norm = double.CreateTruncating(weightedGradientNorms[i]);
                double target = meanNorm * Math.Pow(double.CreateTruncating(losses[i]) / double.CreateTruncating(initial[i]) / meanRatio, Alpha);
                double difference = norm - target;
                double gradient = Math.Sign(difference) * (norm / double.CreateTruncating(_weights[i]));
                double next = Math.Max(double.CreateTruncating(_weights[i]) - LearningRate * gradient, Floor);
                if (!double.IsFinite(target) || !double.IsFinite(gradient) || !double.IsFinite(next))
                {
                    LossBalancing.ThrowNotFinite(double.IsFinite(target) ? nameof(weightedGradientNorms) : nameof(losses), i, "the GradNorm target or weight step");
                }
                objective += Math.Abs(difference);
                _gradient[i] = T.CreateTruncating(gradient);
                _nextWeights[i] = T.CreateTruncating(next);
                sum += next;
            }
            double scale = k / sum;
            for (int i = 0; i < k; i++)
            {
                _nextWeights[i] = T.CreateTruncating(double.CreateTruncating(_nextWeights[i]) * scale);
                if (!(_nextWeights[i] > T.Zero && T.IsFinite(_nextWeights[i])))
                {
                    LossBalancing.ThrowNotFinite(nameof(weightedGradientNorms), i, "the renormalised weight");
                }
            }
            if (!double.IsFinite(objective) || !T.IsFinite(T.CreateTruncating(objective)))
            {
                LossBalancing.ThrowNotFinite(nameof(weightedGradientNorms), 0, "the objective");
            }
            RecordInitial(losses);
            _nextWeights.CopyTo(_weights, 0);
            if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(weightGradient), ref _gradient[0]))
            {
                _gradient.CopyTo(weightGradient);
            }
            return T.CreateTruncating(objective);
        }
    }

    /// <summary>Returns every weight to 1 and forgets Lᵢ(0).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _weights.AsSpan().Fill(T.One);
            _started = false;
        }
    }

    /// <summary>A snapshot of the state, for checkpoints.</summary>
    /// <returns>The weights and the initial losses (new arrays; the latter empty before the first step).</returns>
    public GradNormState<T> Save()
    {
        lock (_gate)
        {
            return new((T[])_weights.Clone(), InitialLosses.ToArray());
        }
    }

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
        }
        lock (_gate)
        {
            if (started)
            {
                state.InitialLosses.CopyTo(_initialLosses, 0);
            }
            state.Weights.CopyTo(_weights, 0);
            _started = started;
        }
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
/// <remarks>Compares by value (element by element) and prints its numbers.</remarks>
public sealed record GradNormState<T>(T[] Weights, T[] InitialLosses)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>True when <paramref name="other"/> holds the same numbers.</summary>
    /// <param name="other">The state to compare with.</param>
    /// <returns>Whether both arrays are element-wise equal.</returns>
    public bool Equals(GradNormState<T>? other) =>
        other is not null && StateArrays.Equal(Weights, other.Weights) && StateArrays.Equal(InitialLosses, other.InitialLosses);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StateArrays.Hash(Weights), StateArrays.Hash(InitialLosses));

    private bool PrintMembers(StringBuilder builder)
    {
        StateArrays.Append(builder, nameof(Weights), Weights).Append(", ");
        StateArrays.Append(builder, nameof(InitialLosses), InitialLosses);
        return true;
    }
}
