using System.Globalization;
using System.Numerics;
using System.Text;

namespace Losses;

/// <summary>
/// Dynamic Weight Average (Liu, Johns &amp; Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019):
/// wᵢ(t) = K·exp(rᵢ/T) / Σⱼ exp(rⱼ/T) with rᵢ = Lᵢ(t−1) / Lᵢ(t−2), the rate at which task i's loss fell over the last
/// step, and wᵢ = 1 for the first two steps. A task whose loss falls more slowly gets more weight; Σᵢ wᵢ = K.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>A "step" is whatever the caller makes it: the paper records the average loss of each epoch. Per-batch use is
/// <see cref="Combine"/> (weights from the history, total Σ wᵢ·Lᵢ(t), then Lᵢ(t) is recorded). Per-epoch use is
/// <see cref="GetWeights"/> for every batch of the epoch and <see cref="Observe"/> with the epoch's average losses at its
/// end.</para>
/// <para>The softmax is <see cref="Softmax.Forward{T}(ReadOnlySpan{T}, Span{T})"/>, which subtracts the maximum, so no
/// ratio overflows it; a ratio that itself overflows (10³⁰⁰ / 10⁻³⁰⁰) is held at the largest finite value. Weights are
/// positive unless the scaled ratios rᵢ/T differ by more than about 87 (float) or 708 (double), beyond which the smaller
/// weight underflows to 0. The sum is K within a few ulp.</para>
/// <para>DWA depends only on loss <em>ratios</em>, so it does not rescale tasks whose losses differ in magnitude: its
/// weights stay in (0, K). For losses that differ by 1000× apply it to losses divided by their initial values (see
/// <see cref="InitialLossNormalization{T}"/>); in the measured demonstration (test <c>MultiTaskDemonstration</c>) that
/// brings both tasks within 1% of their single-task optimum (1.006× and 1.007× after 500 steps), while DWA on the raw
/// losses behaves like equal weights (the small task ends at 192× its optimum).</para>
/// <para>Losses must be finite and &gt; 0: each becomes a divisor. A rejected call records nothing. Per call: O(K), no
/// allocation (one K-long scratch array is allocated at construction).</para>
/// <para>State (checkpoint/resume): <see cref="Save"/> returns the number of recorded steps and the last two loss
/// vectors; <see cref="Restore"/> puts them back; <see cref="Reset"/> forgets the history.</para>
/// <para>Thread safety: every method takes a per-instance lock, so one instance may be shared by threads; each call reads
/// and records a consistent history and its weights sum to K.</para>
/// </remarks>
/// <example>
/// <code>
/// var balancer = new DynamicWeightAverage&lt;double&gt;(taskCount: 2, temperature: 2.0);
/// Span&lt;double&gt; w = stackalloc double[2];
/// balancer.Combine([1.0, 1.0], w);  // w = [1, 1]
/// balancer.Combine([0.5, 0.9], w);  // w = [1, 1]
/// balancer.Combine([0.4, 0.8], w);  // r = [0.5, 0.9]: w = 2·softmax([0.25, 0.45]) = [0.9003, 1.0997]
/// </code>
/// </example>
/// <seealso cref="ILossBalancer{T}"/>
/// <seealso cref="Softmax"/>
/// <seealso cref="UncertaintyWeighting{T}"/>
/// <seealso cref="GradNorm{T}"/>
public sealed class DynamicWeightAverage<T> : ILossBalancer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _previous;
    private readonly T[] _beforePrevious;
    private readonly T[] _scaledRatios;
    private readonly Lock _gate = new();
    private int _observed;

    /// <summary>Creates a balancer for <paramref name="taskCount"/> tasks with temperature <paramref name="temperature"/>.</summary>
    /// <param name="taskCount">K, positive.</param>
    /// <param name="temperature">T, finite and &gt; 0; default 2 (the paper's and LibMTL's). Larger T gives more even weights.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="taskCount"/> is not positive, or <paramref name="temperature"/> is ≤ 0, NaN or ∞.</exception>
    public DynamicWeightAverage(int taskCount, double temperature = 2)
    {
        int k = LossBalancing.TaskCount<T>(taskCount, nameof(taskCount));
        Temperature = LossBalancing.Parameter(temperature, allowZero: false, nameof(temperature));
        _previous = new T[k];
        _beforePrevious = new T[k];
        _scaledRatios = new T[k];
    }

    /// <inheritdoc/>
    public int TaskCount => _previous.Length;

    /// <summary>The temperature T.</summary>
    public double Temperature { get; }

    /// <summary>How many loss vectors have been recorded (by <see cref="Combine"/> or <see cref="Observe"/>) since construction or <see cref="Reset"/>.</summary>
    public int StepCount => _observed;

    /// <summary>Returns Σᵢ wᵢ·Lᵢ(t) with the weights from the recorded history, writes the weights, then records Lᵢ(t).</summary>
    /// <param name="losses">K task losses Lᵢ(t), finite and &gt; 0.</param>
    /// <param name="weights">Receives the K weights; at least K long; may be <paramref name="losses"/> itself, not shifted over it.</param>
    /// <returns>Σᵢ wᵢ·Lᵢ(t).</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries, <paramref name="weights"/> is too short or partly overlaps <paramref name="losses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is ≤ 0 or not finite (the message names its index), or the total is not finite; nothing is recorded.</exception>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights)
    {
        LossBalancing.Combine(losses, weights, _previous.Length, LossDomain.Positive);
        lock (_gate)
        {
            // Weights go through the scratch array so that weights may alias losses.
            ComputeWeights(_scaledRatios);
            T total = LossBalancing.FiniteWeightedSum<T>(_scaledRatios, losses);
            Record(losses);
            _scaledRatios.CopyTo(weights);
            return total;
        }
    }

    /// <summary>Writes the weights for the next step from the recorded history, without recording anything.</summary>
    /// <param name="weights">Receives the K weights; at least K long.</param>
    /// <exception cref="ArgumentException"><paramref name="weights"/> is too short.</exception>
    public void GetWeights(Span<T> weights)
    {
        LossBalancing.Destination(weights, _previous.Length, nameof(weights));
        lock (_gate)
        {
            ComputeWeights(weights[.._previous.Length]);
        }
    }

    /// <summary>Writes the K weights; <paramref name="weights"/> may be the scratch array itself (the softmax works in place).</summary>
    private void ComputeWeights(Span<T> weights)
    {
        int k = _previous.Length;
        if (_observed < 2)
        {
            weights.Fill(T.One);
            return;
        }
        for (int i = 0; i < k; i++)
        {
            T scaled = T.CreateTruncating(double.CreateTruncating(_previous[i]) / double.CreateTruncating(_beforePrevious[i]) / Temperature);
            weights[i] = T.IsFinite(scaled) ? scaled : T.BitDecrement(T.PositiveInfinity);
        }
        Softmax.Forward<T>(weights, weights);
        T count = T.CreateTruncating(k);
        for (int i = 0; i < k; i++)
        {
            weights[i] *= count;
        }
    }

    /// <summary>Records one step's (or epoch's) losses Lᵢ(t) as the newest history entry.</summary>
    /// <param name="losses">K task losses, finite and &gt; 0.</param>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is ≤ 0 or not finite (the message names its index); nothing is recorded.</exception>
    public void Observe(ReadOnlySpan<T> losses)
    {
        LossBalancing.Values(losses, _previous.Length, LossDomain.Positive, nameof(losses));
        lock (_gate)
        {
            Record(losses);
        }
    }

    /// <summary>Forgets the history: the next two steps get equal weights again.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _observed = 0;
            Array.Clear(_previous);
            Array.Clear(_beforePrevious);
        }
    }

    /// <summary>A snapshot of the state, for checkpoints.</summary>
    /// <returns>The step count and the last two loss vectors (new arrays; entries not yet recorded are 0).</returns>
    public DynamicWeightAverageState<T> Save()
    {
        lock (_gate)
        {
            return new(_observed, (T[])_previous.Clone(), (T[])_beforePrevious.Clone());
        }
    }

    /// <summary>Restores a snapshot made by <see cref="Save"/> (possibly by another instance with the same task count).</summary>
    /// <param name="state">The snapshot; its arrays are copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> or one of its arrays is null.</exception>
    /// <exception cref="ArgumentException">An array is not K long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The step count is negative, or a recorded loss is not finite and &gt; 0 (the message names its index).</exception>
    public void Restore(DynamicWeightAverageState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegative(state.StepCount, "state.StepCount");
        ArgumentNullException.ThrowIfNull(state.PreviousLosses, "state.PreviousLosses");
        ArgumentNullException.ThrowIfNull(state.LossesBeforePrevious, "state.LossesBeforePrevious");
        // Check both arrays before copying either, so a bad snapshot leaves the state untouched.
        LossBalancing.Values<T>(state.PreviousLosses, _previous.Length, state.StepCount >= 1 ? LossDomain.Positive : LossDomain.Finite, "state.PreviousLosses");
        LossBalancing.Values<T>(state.LossesBeforePrevious, _previous.Length, state.StepCount >= 2 ? LossDomain.Positive : LossDomain.Finite, "state.LossesBeforePrevious");
        lock (_gate)
        {
            state.PreviousLosses.CopyTo(_previous, 0);
            state.LossesBeforePrevious.CopyTo(_beforePrevious, 0);
            _observed = state.StepCount;
        }
    }

    private void Record(ReadOnlySpan<T> losses)
    {
        _previous.CopyTo(_beforePrevious, 0);
        losses.CopyTo(_previous);
        if (_observed < int.MaxValue)
        {
            _observed++;
        }
    }
}

/// <summary>The state of a <see cref="DynamicWeightAverage{T}"/>.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="StepCount">How many loss vectors have been recorded (only whether it is 0, 1 or ≥ 2 affects the weights).</param>
/// <param name="PreviousLosses">K losses Lᵢ(t−1), the newest recorded (zeros if none).</param>
/// <param name="LossesBeforePrevious">K losses Lᵢ(t−2) (zeros if fewer than two were recorded).</param>
/// <remarks>Compares by value (element by element) and prints its numbers.</remarks>
public sealed record DynamicWeightAverageState<T>(int StepCount, T[] PreviousLosses, T[] LossesBeforePrevious)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>True when <paramref name="other"/> holds the same step count and numbers.</summary>
    /// <param name="other">The state to compare with.</param>
    /// <returns>Whether the step counts are equal and both arrays element-wise equal.</returns>
    public bool Equals(DynamicWeightAverageState<T>? other) =>
        other is not null && StepCount == other.StepCount && StateArrays.Equal(PreviousLosses, other.PreviousLosses) &&
        StateArrays.Equal(LossesBeforePrevious, other.LossesBeforePrevious);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StepCount, StateArrays.Hash(PreviousLosses), StateArrays.Hash(LossesBeforePrevious));

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"StepCount = {StepCount}, ");
        StateArrays.Append(builder, nameof(PreviousLosses), PreviousLosses).Append(", ");
        StateArrays.Append(builder, nameof(LossesBeforePrevious), LossesBeforePrevious);
        return true;
    }
}
