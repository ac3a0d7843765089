using System.Globalization;
using System.Numerics;
using System.Text;

namespace Losses;

/// <summary>
/// Normalisation by the initial loss: total = Σᵢ Lᵢ(t) / Lᵢ(0), so every task starts at 1 whatever the scale of its
/// loss; the weights are wᵢ = 1 / Lᵢ(0), with Lᵢ(0) the losses of the first <see cref="Combine"/> after construction,
/// <see cref="Reset"/> or restoring an empty state.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <remarks>
/// <para>The first losses must be finite and &gt; 0 (they become divisors); later losses finite and ≥ 0. Anything else is
/// rejected with the task index, and nothing is recorded. A tiny first loss (say 10⁻³⁰) gives a huge weight; that is the
/// definition, not an overflow guard, so pick the first step sensibly (a warm-up batch). A first loss whose reciprocal
/// overflows T (float.Epsilon, or below about 2.9·10⁻³⁹ in float) is rejected, as is a later call whose total overflows.</para>
/// <para>State (checkpoint/resume): <see cref="Save"/> returns the recorded initial losses (empty before the first step);
/// <see cref="Restore"/> puts them back. Per call: O(K), no allocation.</para>
/// <para>Thread safety: every method takes a per-instance lock, so one instance may be shared by threads (the first call
/// to arrive records Lᵢ(0)).</para>
/// </remarks>
/// <example>
/// <code>
/// var balancer = new InitialLossNormalization&lt;double&gt;(2);
/// Span&lt;double&gt; w = stackalloc double[2];
/// balancer.Combine([1000.0, 2.0], w);             // 2 (each task at 1), w = [0.001, 0.5]
/// double total = balancer.Combine([500.0, 1.0], w); // 0.5 + 0.5 = 1
/// </code>
/// </example>
/// <seealso cref="ILossBalancer{T}"/>
/// <seealso cref="FixedLossWeights{T}"/>
/// <seealso cref="GradNorm{T}"/>
public sealed class InitialLossNormalization<T> : ILossBalancer<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _initialLosses;
    private readonly Lock _gate = new();
    private bool _started;

    /// <summary>Creates a balancer for <paramref name="taskCount"/> tasks; the first losses it sees become Lᵢ(0).</summary>
    /// <param name="taskCount">K, positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="taskCount"/> is not positive.</exception>
    public InitialLossNormalization(int taskCount)
    {
        _initialLosses = new T[LossBalancing.TaskCount<T>(taskCount, nameof(taskCount))];
    }

    /// <inheritdoc/>
    public int TaskCount => _initialLosses.Length;

    /// <summary>The recorded initial losses Lᵢ(0); empty before the first step.</summary>
    public ReadOnlySpan<T> InitialLosses => _started ? _initialLosses : [];

    /// <summary>Returns Σᵢ Lᵢ / Lᵢ(0) and writes wᵢ = 1 / Lᵢ(0); records Lᵢ(0) on the first call.</summary>
    /// <param name="losses">K task losses: finite and &gt; 0 on the first call, finite and ≥ 0 afterwards.</param>
    /// <param name="weights">Receives the K weights; at least K long.</param>
    /// <returns>Σᵢ Lᵢ / Lᵢ(0) (= K on the first call).</returns>
    /// <exception cref="ArgumentException"><paramref name="losses"/> does not have K entries or <paramref name="weights"/> is too short.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A loss is outside the domain above (the message names its index).</exception>
    public T Combine(ReadOnlySpan<T> losses, Span<T> weights)
    {
        LossBalancing.Destination(weights, _initialLosses.Length, nameof(weights));
        LossBalancing.NoOverlap(losses, weights, nameof(losses), nameof(weights));
        lock (_gate)
        {
            LossBalancing.Values(losses, _initialLosses.Length, _started ? LossDomain.NonNegative : LossDomain.Positive, nameof(losses));
            ReadOnlySpan<T> initial = _started ? _initialLosses : losses;
            if (!_started)
            {
                CheckInvertible(losses, nameof(losses));
            }
            double total = 0;
            for (int i = 0; i < initial.Length; i++)
            {
                total += double.CreateTruncating(losses[i]) / double.CreateTruncating(initial[i]);
            }
            T result = T.CreateTruncating(total);
            if (!T.IsFinite(result))
            {
                LossBalancing.ThrowNotFinite(nameof(losses), 0, "the total Σ Lᵢ / Lᵢ(0)");
            }
            if (!_started)
            {
                losses.CopyTo(_initialLosses);
                _started = true;
            }
            for (int i = 0; i < _initialLosses.Length; i++)
            {
                // Read before write: weights may alias losses (they were read above).
                weights[i] = T.One / _initialLosses[i];
            }
            return result;
        }
    }

    /// <summary>A first loss whose reciprocal overflows (float.Epsilon, 1e-39f, double subnormals) would give an infinite weight.</summary>
    private static void CheckInvertible(ReadOnlySpan<T> initialLosses, string name)
    {
        for (int i = 0; i < initialLosses.Length; i++)
        {
            if (!T.IsFinite(T.One / initialLosses[i]))
            {
                throw new ArgumentOutOfRangeException(name, initialLosses[i], string.Create(CultureInfo.InvariantCulture,
                    $"{name}[{i}] (task {i}) is {initialLosses[i]}, too small to be an initial loss: its weight 1/L(0) would overflow. Nothing was recorded."));
            }
        }
    }

    /// <summary>Forgets the initial losses: the next call records new ones.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _started = false;
        }
    }

    /// <summary>A snapshot of the state, for checkpoints.</summary>
    /// <returns>The recorded initial losses (a new array; empty before the first step).</returns>
    public InitialLossNormalizationState<T> Save()
    {
        lock (_gate)
        {
            return new(InitialLosses.ToArray());
        }
    }

    /// <summary>Restores a snapshot made by <see cref="Save"/> (possibly by another instance with the same task count).</summary>
    /// <param name="state">The snapshot; its array is copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> or its array is null.</exception>
    /// <exception cref="ArgumentException">The array is neither empty nor K long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An initial loss is not finite and &gt; 0 (the message names its index).</exception>
    public void Restore(InitialLossNormalizationState<T> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(state.InitialLosses, "state.InitialLosses");
        if (state.InitialLosses.Length != 0)
        {
            LossBalancing.Values<T>(state.InitialLosses, _initialLosses.Length, LossDomain.Positive, "state.InitialLosses");
            CheckInvertible(state.InitialLosses, "state.InitialLosses");
        }
        lock (_gate)
        {
            state.InitialLosses.CopyTo(_initialLosses, 0);
            _started = state.InitialLosses.Length != 0;
        }
    }
}

/// <summary>The state of an <see cref="InitialLossNormalization{T}"/>: the recorded initial losses Lᵢ(0).</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
/// <param name="InitialLosses">K initial losses, or empty before the first step. Serialises as a plain array (e.g. with System.Text.Json).</param>
/// <remarks>Compares by value (element by element) and prints its numbers.</remarks>
public sealed record InitialLossNormalizationState<T>(T[] InitialLosses)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>True when <paramref name="other"/> holds the same numbers.</summary>
    /// <param name="other">The state to compare with.</param>
    /// <returns>Whether the arrays are element-wise equal.</returns>
    public bool Equals(InitialLossNormalizationState<T>? other) => other is not null && StateArrays.Equal(InitialLosses, other.InitialLosses);

    /// <inheritdoc/>
    public override int GetHashCode() => StateArrays.Hash(InitialLosses);

    private bool PrintMembers(StringBuilder builder)
    {
        StateArrays.Append(builder, nameof(InitialLosses), InitialLosses);
        return true;
    }
}
