using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Losses;

/// <summary>
/// Uncertainty weighting (Kendall, Gal &amp; Cipolla, "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene
/// Geometry and Semantics", CVPR 2018): each task has a learnable log-variance sᵢ = log σᵢ², and
/// total = Σᵢ cᵢ·(exp(−sᵢ)·Lᵢ + sᵢ), with cᵢ = 1 (<see cref="UncertaintyTerm.Default"/>) or ½
/// (<see cref="UncertaintyTerm.Regression"/>). The effective weight of task i is wᵢ = cᵢ·exp(−sᵢ) and
/// ∂total/∂sᵢ = cᵢ·(1 − exp(−sᵢ)·Lᵢ).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>For fixed Lᵢ the total is minimised at sᵢ = log Lᵢ, where wᵢ·Lᵢ = cᵢ: the method drives every task towards the
/// same weighted loss, which is what rescues a task whose loss is orders of magnitude smaller than another's.</para>
/// <para>The sᵢ are updated either by the caller's optimiser (read the gradient from
/// <see cref="Combine(ReadOnlySpan{T}, Span{T}, Span{T})"/>, update <see cref="LogVariances"/> in place) or by the built-in
/// plain gradient step sᵢ ← sᵢ − η·∂total/∂sᵢ when a learning rate η &gt; 0 is given; the step is taken after the total,
/// the weights and the gradient are computed, so they describe the sᵢ before it.</para>
/// <para>Plain SGD on sᵢ is fragile: with sᵢ = 0 and Lᵢ = 10⁴ the first gradient is −10⁴. Start sᵢ near log Lᵢ(0) (the
/// <c>initialLogVariances</c> argument) and keep η·Lᵢ·exp(−sᵢ) well below 1, or use Adam on the returned gradient. In
/// the measured demonstration (two regression tasks whose losses differ by 1000×, see the test
/// <c>MultiTaskDemonstration</c>) sᵢ(0) = log Lᵢ(0), η = 0.01 and a model learning rate of 0.02 bring both tasks within
/// 1% of their single-task optimum in 500 steps (1.003× and 1.009×), where equal weights must use a 40× smaller rate
/// to stay stable and leave the small task at 192× its optimum.</para>
/// <para>Losses must be finite and ≥ 0 (with a negative loss the total has no minimum in sᵢ and sᵢ → −∞). A huge sᵢ
/// gives weight 0; sᵢ below about −88 (float) or −709 (double) would overflow the weight, and the call is rejected (the
/// log-variances are the caller's parameters and are not clamped). Values are computed in T with one exp per task (≤ 1 ulp); the total is
/// accumulated in double. Per call: O(K), no allocation.</para>
/// <para>A call whose exp(−sᵢ)·Lᵢ, total or stepped sᵢ would not be finite (say sᵢ = −20, η = 0.5, Lᵢ = 10³⁰ in float)
/// is rejected with <see cref="ArgumentOutOfRangeException"/> before anything is written, so the state stays usable.</para>
/// <para>Defaults: η = <see cref="DefaultLearningRate"/> (0.01) for the built-in SGD step. Kendall et al. and LibMTL train
/// the sᵢ with the model's own optimiser instead; to do that, pass <c>learningRate: 0</c> and step
/// <see cref="LogVariances"/> from the returned gradient.</para>
/// <para>State (checkpoint/resume): <see cref="Save"/> returns the sᵢ; <see cref="Restore"/> puts them back;
/// <see cref="Reset"/> returns to the initial sᵢ.</para>
/// <para>Thread safety: <see cref="Combine(ReadOnlySpan{T}, Span{T})"/>, <see cref="Save"/>, <see cref="Restore"/> and
/// <see cref="Reset"/> take a per-instance lock, so one instance may be shared by threads. The writable
/// <see cref="LogVariances"/> view is not synchronised: write it only while no other thread calls the balancer.</para>
/// </remarks>
/// <example>
/// <code>
/// var balancer = new UncertaintyWeighting&lt;float&gt;([UncertaintyTerm.Regression, UncertaintyTerm.Default], learningRate: 0.01);
/// Span&lt;float&gt; w = stackalloc float[2];
/// float depthLoss = 0.2f, segmentationLoss = 0.7f;
/// float total = balancer.Combine([depthLoss, segmentationLoss], w); // back-propagate total (or scale each ∇Lᵢ by w[i])
/// // with s = 0: total = ½·depthLoss + segmentationLoss, w = [0.5, 1], then s takes one SGD step
/// </code>
/// </example>
/// <seealso cref="UncertaintyTerm"/>
/// <seealso cref="ILossBalancer{T}"/>
/// <seealso cref="DynamicWeightAverage{T}"/>
/// <seealso cref="GradNorm{T}"/>
[SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
    Justification = "The constructors differ in their first, required parameter (a task count or one term per task).")]
public sealed class UncertaintyWeighting<T> : ILossBalancer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The default η of the built-in step, 0.01: the value of the measured demonstration in the class remarks.</summary>
    public const double DefaultLearningRate = 0.01;

    private readonly T[] _logVariances;
    private readonly T[] _initialLogVariances;
    private readonly bool[] _halved;
    private readonly T[] _nextLogVariances;
    private readonly T[] _weights;
    private readonly T[] _gradient;
    private readonly Lock _gate = new();

    /// <summary>Creates a balancer for <paramref name="taskCount"/> tasks of the <see cref="UncertaintyTerm.Default"/> form, all sᵢ = 0.</summary>
    /// <param name="taskCount">K, positive.</param>
    /// <param name="learningRate">η of the built-in step sᵢ ← sᵢ − η·∂total/∂sᵢ, finite and ≥ 0; default
    /// <see cref="DefaultLearningRate"/> (0.01). Pass 0 to leave sᵢ to your own optimiser.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="taskCount"/> is not positive or <paramref name="learningRate"/> is negative or not finite.</exception>
    public UncertaintyWeighting(int taskCount, double learningRate = DefaultLearningRate)
    {
        int k = LossBalancing.TaskCount<T>(taskCount, nameof(taskCount));
        LearningRate = LossBalancing.Parameter(learningRate, allowZero: true, nameof(learningRate));
        _logVariances = new T[k];
        _initialLogVariances = new T[k];
        _halved = new bool[k];
        (_nextLogVariances, _weights, _gradient) = (new T[k], new T[k], new T[k]);
    }

    /// <summary>Creates a balancer with one term form per task and optional initial log-variances.</summary>
    /// <param name="terms">K term forms (this also sets K, which must be positive).</param>
    /// <param name="initialLogVariances">K finite initial sᵢ, or empty for all 0. A good choice is log Lᵢ(0).</param>
    /// <param name="learningRate">η of the built-in step, finite and ≥ 0; default <see cref="DefaultLearningRate"/> (0.01).
    /// Pass 0 to leave sᵢ to your own optimiser.</param>
    /// <exception cref="ArgumentException"><paramref name="terms"/> is empty, or <paramref name="initialLogVariances"/> is neither empty nor K long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A term is not a defined <see cref="UncertaintyTerm"/>, an initial sᵢ is not finite, or
    /// <paramref name="learningRate"/> is negative or not finite (messages name the index).</exception>
    public UncertaintyWeighting(ReadOnlySpan<UncertaintyTerm> terms, ReadOnlySpan<T> initialLogVariances = default, double learningRate = DefaultLearningRate)
    {
        Guard.FloatOrDouble<T>();
        if (terms.IsEmpty)
        {
            throw new ArgumentException("At least one task is needed.", nameof(terms));
        }
        int k = terms.Length;
        LearningRate = LossBalancing.Parameter(learningRate, allowZero: true, nameof(learningRate));
        _halved = new bool[k];
        for (int i = 0; i < k; i++)
        {
            if (terms[i] is not (UncertaintyTerm.Default or UncertaintyTerm.Regression))
            {
                throw new ArgumentOutOfRangeException(nameof(terms), terms[i], $"terms[{i}] (task {i}) is not a defined UncertaintyTerm.");
            }
            _halved[i] = terms[i] == UncertaintyTerm.Regression;
        }
        _initialLogVariances = new T[k];
        if (!initialLogVariances.IsEmpty)
        {
            LossBalancing.Values(initialLogVariances, k, LossDomain.Finite, nameof(initialLogVariances));
            initialLogVariances.CopyTo(_initialLogVariances);
        }
        _logVariances = (T[])_initialLogVariances.Clone();
        (_nextLogVariances, _weights, _gradient) = (new T[k], new T[k], new T[k]);
    }

    /// <inheritdoc/>
    public int TaskCount => _logVariances.Length;

    /// <summary>η of the built-in step (0: none).</summary>
    public double LearningRate { get; }

    /// <summary>
    /// The log-variances sᵢ = log σᵢ², writable: a caller with its own optimiser (and <c>learningRate: 0</c>) updates them in
    /// place from the gradient returned by <see cref="Combine(ReadOnlySpan{T}, Span{T}, Span{T})"/>. This view is not
    /// synchronised (see the thread-safety remark); <see cref="Restore"/> sets them under the lock.
    /// </summary>
    public Span<T> LogVariances => _logVariances;

    /// <summary>The form of task <paramref name="task"/>'s term.</summary>
    /// <param name="task">The task index, 0 ≤ task &lt; K.</param>
    /// <returns><see cref="UncertaintyTerm.Regression"/> for the ½ form, else <see cref="UncertaintyTerm.Default"/>.</returns>
    public UncertaintyTerm Term(int task) => _halved[task] ? UncertaintyTerm.Regression : UncertaintyTerm.Default;

    /// <summary>Returns total = Σᵢ cᵢ·(exp(−sᵢ)·Lᵢ + sᵢ), writes wᵢ = cᵢ·exp(−sᵢ), then takes the built-in step if η &gt; 0.</summary>
    /// <param name="losses">K task losses, finite and ≥ 0.</param>
    /// <param name="weights">Receives the K effective weights; at least K long; may be <paramref name="losses"/> itself, not shifted over it.</param>
    /// <returns>The total, at the sᵢ before the step.</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries, <paramref name="weights"/> is too short or partly overlaps <paramref name="losses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is negative or not finite, or exp(−sᵢ)·Lᵢ, the total or the
    /// stepped sᵢ would not be finite (the message names the index); nothing is updated.</exception>
    /// <exception cref="InvalidOperationException">A log-variance written through <see cref="LogVariances"/> is not finite.</exception>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights) => Combine(losses, weights, default, gradientWanted: false);

    /// <summary>As <see cref="Combine(ReadOnlySpan{T}, Span{T})"/>, and also writes ∂total/∂sᵢ = cᵢ·(1 − exp(−sᵢ)·Lᵢ).</summary>
    /// <param name="losses">K task losses, finite and ≥ 0.</param>
    /// <param name="weights">Receives the K effective weights; at least K long.</param>
    /// <param name="logVarianceGradient">Receives the K derivatives ∂total/∂sᵢ (at the sᵢ before any built-in step); at
    /// least K long; must not overlap <paramref name="weights"/>.</param>
    /// <returns>The total, at the sᵢ before the step.</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries, a destination is too short, or
    /// the destinations overlap each other or partly overlap <paramref name="losses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is negative or not finite, or a result would not be finite (the
    /// message names its index); nothing is updated.</exception>
    /// <exception cref="InvalidOperationException">A log-variance written through <see cref="LogVariances"/> is not finite.</exception>
    /// <example>
    /// <code>
    /// var balancer = new UncertaintyWeighting&lt;double&gt;(2, learningRate: 0); // s updated by the caller's optimiser
    /// Span&lt;double&gt; w = stackalloc double[2], ds = stackalloc double[2];
    /// double total = balancer.Combine([4.0, 0.5], w, ds); // s = 0: total 4.5, w = [1, 1], ds = [−3, 0.5]
    /// // then the caller's optimiser steps balancer.LogVariances along ds (e.g. Adam)
    /// </code>
    /// </example>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights, Span<T> logVarianceGradient) =>
        Combine(losses, weights, logVarianceGradient, gradientWanted: true);

    /// <summary>Returns every sᵢ to its initial value (0 or the constructor's <c>initialLogVariances</c>).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _initialLogVariances.CopyTo(_logVariances, 0);
        }
    }

    /// <summary>A snapshot of the state, for checkpoints.</summary>
    /// <returns>The current sᵢ (a new array).</returns>
    public UncertaintyWeightingState<T> Save()
    {
        lock (_gate)
        {
            return new((T[])_logVariances.Clone());
        }
    }

    /// <summary>Restores a snapshot made by <see cref="Save"/> (possibly by another instance with the same task count).</summary>
    /// <param name="state">The snapshot; its array is copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> or its array is null.</exception>
    /// <exception cref="ArgumentException">The array is not K long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An sᵢ is not finite (the message names its index).</exception>
    public void Restore(UncertaintyWeightingState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_gate)
        {
            LossBalancing.Restore(state.LogVariances, _logVariances, LossDomain.Finite, "state.LogVariances");
        }
    }

    private T Combine(ReadOnlySpan<T> losses, Span<T> weights, Span<T> logVarianceGradient, bool gradientWanted)
    {
        int k = _logVariances.Length;
        LossBalancing.Combine(losses, weights, k, LossDomain.NonNegative);
        if (gradientWanted)
        {
            LossBalancing.Destination(logVarianceGradient, k, nameof(logVarianceGradient));
            LossBalancing.NoOverlap(losses, logVarianceGradient, nameof(losses), nameof(logVarianceGradient));
            if (((ReadOnlySpan<T>)weights[..k]).Overlaps(logVarianceGradient[..k]))
            {
                throw new ArgumentException("logVarianceGradient overlaps weights; the two outputs need separate memory.", nameof(logVarianceGradient));
            }
        }
        lock (_gate)
        {
            for (int i = 0; i < k; i++)
            {
                if (!T.IsFinite(_logVariances[i]))
                {
                    ThrowLogVariance(i);
                }
            }
            // Computed into scratch and checked before anything is written: a call applies wholly or not at all.
            T half = T.One / (T.One + T.One);
            T learningRate = T.CreateTruncating(LearningRate);
            double total = 0;
            for (int i = 0; i < k; i++)
            {
                T s = _logVariances[i];
                T c = _halved[i] ? half : T.One;
                T precision = T.Exp(-s);
                T weighted = precision * losses[i];
                T ds = c * (T.One - weighted);
                T next = s - learningRate * ds;
                if (!T.IsFinite(weighted) || !T.IsFinite(precision) || !T.IsFinite(next))
                {
                    LossBalancing.ThrowNotFinite(nameof(losses), i, "exp(−sᵢ)·Lᵢ or the stepped sᵢ");
                }
                total += double.CreateTruncating(c * (weighted + s));
                _weights[i] = c * precision;
                _gradient[i] = ds;
                _nextLogVariances[i] = LearningRate != 0 ? next : s;
            }
            T result = T.CreateTruncating(total);
            if (!T.IsFinite(result))
            {
                LossBalancing.ThrowNotFinite(nameof(losses), 0, "the total");
            }
            _weights.CopyTo(weights);
            if (gradientWanted)
            {
                _gradient.CopyTo(logVarianceGradient);
            }
            _nextLogVariances.CopyTo(_logVariances, 0);
            return result;
        }
    }

    private void ThrowLogVariance(int task) =>
        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
            $"LogVariances[{task}] (task {task}) is {_logVariances[task]}; the log-variances must be finite (check the optimiser that updates them). Nothing was updated."));
}

/// <summary>The state of an <see cref="UncertaintyWeighting{T}"/>: the log-variances sᵢ.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="LogVariances">K log-variances sᵢ = log σᵢ². Serialises as a plain array (e.g. with System.Text.Json).</param>
/// <remarks>Compares by value (element by element) and prints its numbers.</remarks>
public sealed record UncertaintyWeightingState<T>(T[] LogVariances)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>True when <paramref name="other"/> holds the same numbers.</summary>
    /// <param name="other">The state to compare with.</param>
    /// <returns>Whether the arrays are element-wise equal.</returns>
    public bool Equals(UncertaintyWeightingState<T>? other) => other is not null && StateArrays.Equal(LogVariances, other.LogVariances);

    /// <inheritdoc/>
    public override int GetHashCode() => StateArrays.Hash(LogVariances);

    private bool PrintMembers(StringBuilder builder)
    {
        StateArrays.Append(builder, nameof(LogVariances), LogVariances);
        return true;
    }
}
