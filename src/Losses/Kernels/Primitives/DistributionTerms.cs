using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// The per-element terms and online reducers of the information measures. Every term follows SciPy's conventions:
/// 0 · log 0 = 0 (a zero probability contributes nothing, whatever it is paired with) and p · log(p / 0) = +∞.
/// </summary>
internal static class DistributionTerms<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private static TV Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => TOps.Create(T.Zero);
    }

    /// <summary>weight · value, or 0 where weight is 0 (so that 0 · ±∞ and 0 · NaN-free log 0 give 0, not NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Weighted(TV weight, TV value) => TOps.Select(TOps.Equal(weight, Zero), Zero, TOps.Multiply(weight, value));

    /// <summary>value, or 0 where <paramref name="condition"/> is 0: a rescale correction that vanishes when everything so far is scaled to 0 (and might be ∞ · 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ZeroWhereZero(TV condition, TV value) => TOps.Select(TOps.Equal(condition, Zero), Zero, value);

    /// <summary>p log p with p = (a · s₁) · s₂ (SciPy's −entr; see <see cref="InverseSums{TOps, TV, T}.Of(ref readonly T, int, T)"/>); the second input is ignored.</summary>
    public readonly struct XLogX(T first, T second) : IBinaryOp<TV>
    {
        private readonly TV _first = TOps.Create(first);
        private readonly TV _second = TOps.Create(second);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b)
        {
            TV p = TOps.Multiply(TOps.Multiply(a, _first), _second);
            return Weighted(p, VectorMath<TOps, TV, T>.Log(p));
        }
    }

    /// <summary>p log q (the negative cross-entropy's terms).</summary>
    public readonly struct XLogY : IBinaryOp<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV p, TV q) => Weighted(p, VectorMath<TOps, TV, T>.Log(q));
    }

    /// <summary>
    /// A pair of count rows as probabilities: p = (a · sP₁) · sP₂, q = (b · sQ₁) · sQ₂, with the two-factor scales of
    /// <see cref="InverseSums{TOps, TV, T}"/> (one rounding when the sums are normal, exact power-of-two steps otherwise).
    /// </summary>
    public readonly struct Normalized((T First, T Second) scaleP, (T First, T Second) scaleQ)
    {
        private readonly TV _p1 = TOps.Create(scaleP.First);
        private readonly TV _p2 = TOps.Create(scaleP.Second);
        private readonly TV _q1 = TOps.Create(scaleQ.First);
        private readonly TV _q2 = TOps.Create(scaleQ.Second);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (TV P, TV Q) Of(TV a, TV b) => (TOps.Multiply(TOps.Multiply(a, _p1), _p2), TOps.Multiply(TOps.Multiply(b, _q1), _q2));
    }

    /// <summary>p (log p − log q) with p = (a · sP₁) · sP₂, q = (b · sQ₁) · sQ₂ (SciPy's rel_entr).</summary>
    public readonly struct RelativeEntropy((T First, T Second) scaleP, (T First, T Second) scaleQ) : IBinaryOp<TV>
    {
        private readonly Normalized _normalized = new(scaleP, scaleQ);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b)
        {
            var (p, q) = _normalized.Of(a, b);
            return Weighted(p, TOps.Subtract(VectorMath<TOps, TV, T>.Log(p), VectorMath<TOps, TV, T>.Log(q)));
        }
    }

    /// <summary>p (log p − log q) from (p or log p, log q): PyTorch's kl_div pointwise terms, with 0 · log 0 = 0.</summary>
    public readonly struct LogRelativeEntropy(bool logTarget) : IBinaryOp<TV>
    {
        private readonly bool _logTarget = logTarget;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV logQ)
        {
            TV p = _logTarget ? VectorMath<TOps, TV, T>.Exp(a) : a;
            TV logP = _logTarget ? a : VectorMath<TOps, TV, T>.Log(a);
            return Weighted(p, TOps.Subtract(logP, logQ));
        }
    }

    /// <summary>
    /// p (log p − log m) + q (log q − log m) with m = (p + q)/2, p = (a · sP₁) · sP₂, q = (b · sQ₁) · sQ₂ (twice the JS
    /// divergence's terms). log m is log(p + q) − ln 2: (p + q)/2 would underflow to 0 for p + q = ε and make the term ∞.
    /// </summary>
    public readonly struct JensenShannon((T First, T Second) scaleP, (T First, T Second) scaleQ) : IBinaryOp<TV>
    {
        private readonly Normalized _normalized = new(scaleP, scaleQ);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b)
        {
            var (p, q) = _normalized.Of(a, b);
            TV logM = TOps.Subtract(VectorMath<TOps, TV, T>.Log(TOps.Add(p, q)), TOps.Create(T.CreateTruncating(0.6931471805599453)));
            TV fromP = Weighted(p, TOps.Subtract(VectorMath<TOps, TV, T>.Log(p), logM));
            TV fromQ = Weighted(q, TOps.Subtract(VectorMath<TOps, TV, T>.Log(q), logM));
            return TOps.Add(fromP, fromQ);
        }
    }

    /// <summary>(a · s₁) · s₂ for powers of two s₁, s₂ (exact unless it underflows): the rescaled values of a row.</summary>
    public readonly struct Scaled(T first, T second) : IBinaryOp<TV>
    {
        private readonly TV _first = TOps.Create(first);
        private readonly TV _second = TOps.Create(second);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b) => TOps.Multiply(TOps.Multiply(a, _first), _second);
    }

    /// <summary>Σ a and Σ b together (the normalizers of two rows).</summary>
    public struct SumPair : IReducer<TV>
    {
        public LaneSum<TOps, TV, T> SumA;
        public LaneSum<TOps, TV, T> SumB;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b)
        {
            SumA.Add(a);
            SumB.Add(b);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep)
        {
            SumA.Add(TOps.Select(keep, a, Zero));
            SumB.Add(TOps.Select(keep, b, Zero));
        }
    }

    /// <summary>And of "lower ≤ a ≤ upper" over all lanes (false for NaN). The overlapped tail re-checks real elements, which is harmless.</summary>
    public struct InRange(T lower, T upper) : IReducer<TV>
    {
        private readonly TV _lower = TOps.Create(lower);
        private readonly TV _upper = TOps.Create(upper);
        private TV _good = TOps.Equal(TOps.Create(T.Zero), TOps.Create(T.Zero));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b) =>
            _good = TOps.And(_good, TOps.And(TOps.GreaterThanOrEqual(a, _lower), TOps.GreaterThanOrEqual(_upper, a)));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Step(a, b);

        public readonly bool AllGood()
        {
            for (int lane = 0; lane < TOps.Count; lane++)
            {
                if (TOps.GetElement(_good, lane) == T.Zero)
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>The maxima of two rows at once (the shifts of the logit reducers); NaN need not survive, the next pass propagates it.</summary>
    public struct MaxPair() : IReducer<TV>
    {
        public TV MaxA = TOps.Create(T.NegativeInfinity);
        public TV MaxB = TOps.Create(T.NegativeInfinity);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b)
        {
            MaxA = TOps.MaxFast(MaxA, a);
            MaxB = TOps.MaxFast(MaxB, b);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Step(a, b);

        /// <summary>The larger of the lanes' maxima and MinValue (so that a fully masked row shifts by a finite amount).</summary>
        public static T Reduce(TV max)
        {
            ref T lanes = ref Unsafe.As<TV, T>(ref max);
            T result = FloatLimits<T>.MinValue;
            for (int lane = 0; lane < TOps.Count; lane++)
            {
                T value = Unsafe.Add(ref lanes, lane);
                result = value > result || T.IsNaN(value) ? value : result;
            }
            return result;
        }
    }

    /// <summary>
    /// The entropy of softmax(x) given m = max x: S = Σ e^(x−m) and W = Σ e^(x−m)·(x − m), then H = log S − W/S, a sum of
    /// two non-negative terms (W ≤ 0), so there is no cancellation even for logits of ±1e4 (the textbook
    /// logsumexp(x) − E[x] loses every digit there in float). m is found by a cheap max pass first: an online maximum
    /// would rescale for most of the first vectors of every row (some lane nearly always rises), which measured 2–3×
    /// slower on rows of 1000 classes, while the extra read of a row in cache costs little. x − m ≤ 0, so the exps are
    /// <see cref="VectorMath{TOps, TV, T}.ExpNonPositive"/>: the bits of Exp, one operation cheaper.
    /// </summary>
    public struct EntropyOfLogits(T max) : IReducer<TV>
    {
        private readonly TV _max = TOps.Create(max);
        private LaneSum<TOps, TV, T> _sum;
        private LaneSum<TOps, TV, T> _weighted;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV x, TV b)
        {
            TV shifted = TOps.Subtract(x, _max);
            TV e = VectorMath<TOps, TV, T>.ExpNonPositive(shifted);
            _sum.Add(e);
            _weighted.Add(Weighted(e, shifted));
        }

        /// <summary>Masks the results rather than the inputs: exp(−∞) goes through an underflowing (subnormal) product, which is slow.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV x, TV b, TV keep)
        {
            TV shifted = TOps.Subtract(x, _max);
            TV e = TOps.Select(keep, VectorMath<TOps, TV, T>.ExpNonPositive(shifted), Zero);
            _sum.Add(e);
            _weighted.Add(Weighted(e, shifted));
        }

        /// <summary>H in nats; NaN for a NaN or +∞ logit or a fully masked row (S = 0).</summary>
        public readonly double Result() => SumAndEntropy().Entropy;

        /// <summary>S (log-sum-exp = m + log S) and H in nats.</summary>
        public readonly (double Sum, double Entropy) SumAndEntropy()
        {
            double sum = double.CreateTruncating(_sum.Total());
            return (sum, Math.Log(sum) - double.CreateTruncating(_weighted.Total()) / sum);
        }
    }

    /// <summary>
    /// The cross-entropy H(p, softmax(x)) given m = max x: S = Σ e^(x−m), A = Σ p·(x − m) and P = Σ p, then
    /// H = P·log S − A, two non-negative terms.
    /// </summary>
    public struct CrossOfLogits(T max) : IReducer<TV>
    {
        private readonly TV _max = TOps.Create(max);
        private LaneSum<TOps, TV, T> _sum;
        private LaneSum<TOps, TV, T> _weighted;
        private LaneSum<TOps, TV, T> _mass;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV p, TV x)
        {
            TV shifted = TOps.Subtract(x, _max);
            _sum.Add(VectorMath<TOps, TV, T>.ExpNonPositive(shifted));
            _weighted.Add(Weighted(p, shifted));
            _mass.Add(p);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV p, TV x, TV keep)
        {
            TV shifted = TOps.Subtract(x, _max);
            TV weight = TOps.Select(keep, p, Zero);
            _sum.Add(TOps.Select(keep, VectorMath<TOps, TV, T>.ExpNonPositive(shifted), Zero));
            _weighted.Add(Weighted(weight, shifted));
            _mass.Add(weight);
        }

        /// <summary>H(p, softmax(x)) in nats.</summary>
        public double Result() =>
            double.CreateTruncating(_mass.Total()) * Math.Log(double.CreateTruncating(_sum.Total())) - double.CreateTruncating(_weighted.Total());
    }

    /// <summary>
    /// KL(softmax(t/T) ‖ softmax(s/T)) of one row given its maxima Mt of t and Ms of s: with a = t − Mt, b = s − Ms,
    /// t′ = a/T and s′ = b/T (the max subtracted before dividing, so that the rounding of max/T never reaches the exponent:
    /// [3e10, 0] at T = 3 would otherwise give e^512), St = Σ e^t′, Ss = Σ e^s′ and W = Σ e^t′·(t′ − s′); then
    /// KL = W/St − log St + log Ss (<see cref="RelativeEntropyOfLogitsResult"/>). Working with logits relative to their
    /// maxima keeps the result accurate for logits of ±1e4. t′ − s′ is formed as (a − b)·(2^−h/T) with 2^h ≥ the row
    /// length (<see cref="WeightExponent"/>), and W·2^h is restored in double: W itself is up to St ≤ n times the divergence,
    /// so a divergence near MaxValue/n would overflow its float sum, and (a − b)/T can be finite where a/T or b/T alone is
    /// not (T &lt; 1). The power of two is exact, so only terms below 2^h times the smallest normal change.
    /// The exps are term exps, as in the block body: the teacher's <see cref="VectorMath{TOps, TV, T}.ExpTerm"/> (≤ 2 ulp
    /// on [−10, 0], rounded into the subnormals, never flushed: W weighs them by a − b, up to ~1e38, so a flushed e^−90
    /// would be a real loss), the student's <see cref="VectorMath{TOps, TV, T}.ExpTermFlushed"/> (the same bits down to
    /// −86.5, 0 below: they only enter Ss, which has the term e⁰ = 1, and q = e^s′/Ss). With <typeparamref name="TStore"/> on, the student numerators e^s′ are stored into <paramref name="studentNumerators"/>
    /// (the distillation's gradient pass reads them); the last vectors are loaded before anything is stored, so it may be
    /// <paramref name="b"/> itself. The three sums are <see cref="LaneSum{TOps, TV, T}"/>'s (blocks of its
    /// <see cref="LaneSum{TOps, TV, T}.BlockSteps"/> steps, TwoSum into a running pair), kept in locals.
    /// </summary>
    /// <remarks>
    /// The loop is written out in one method per variant, not inlined, with the masked tail in a method of its own
    /// (<see cref="RelativeEntropyOfLogitsTail"/>): as a reducer struct run by <see cref="Rows{TOps, TV, T}.Reduce"/> (step, tail
    /// step and three LaneSum adds each inlined) the body exceeded the JIT's inlining budget and its tier-1 code called the
    /// exp polynomial, Pow2, LaneSum.Add and the V256 operations (found 2026-12-03).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static (T TeacherSum, T StudentSum, T Weighted) RelativeEntropyOfLogits<TStore>(
        ref readonly T a, ref readonly T b, ref T studentNumerators, int length, T inverseTemperature, T teacherMax, T studentMax)
        where TStore : struct, ISwitch
    {
        TV scale = TOps.Create(inverseTemperature);
        TV differenceScale = TOps.Create(T.ScaleB(inverseTemperature, -WeightExponent(length)));
        TV maxA = TOps.Create(teacherMax);
        TV maxB = TOps.Create(studentMax);
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint start = n - count;
        TV lastA = TOps.Load(in a, start);
        TV lastB = TOps.Load(in b, start);
        TV teacherBlock = default, teacherHigh = default, teacherLow = default;
        TV studentBlock = default, studentHigh = default, studentLow = default;
        TV weightedBlock = default, weightedHigh = default, weightedLow = default;
        int steps = 0;
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            TV x = TOps.Subtract(TOps.Load(in a, i), maxA);
            TV y = TOps.Subtract(TOps.Load(in b, i), maxB);
            TV et = VectorMath<TOps, TV, T>.ExpTerm(TOps.Multiply(x, scale));
            TV es = VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Multiply(y, scale));
            if (TStore.IsOn)
            {
                TOps.Store(es, ref studentNumerators, i);
            }
            teacherBlock = TOps.Add(teacherBlock, et);
            studentBlock = TOps.Add(studentBlock, es);
            weightedBlock = TOps.Add(weightedBlock, Weighted(et, TOps.Multiply(TOps.Subtract(x, y), differenceScale)));
            if (++steps == LaneSum<TOps, TV, T>.BlockSteps)
            {
                teacherHigh = LaneSum<TOps, TV, T>.FlushInto(teacherHigh, ref teacherLow, teacherBlock);
                studentHigh = LaneSum<TOps, TV, T>.FlushInto(studentHigh, ref studentLow, studentBlock);
                weightedHigh = LaneSum<TOps, TV, T>.FlushInto(weightedHigh, ref weightedLow, weightedBlock);
                teacherBlock = default;
                studentBlock = default;
                weightedBlock = default;
                steps = 0;
            }
        }
        if (i < n)
        {
            var tail = RelativeEntropyOfLogitsTail(lastA, lastB, Rows<TOps, TV, T>.TailMask(i, start), maxA, maxB, scale, differenceScale);
            if (TStore.IsOn)
            {
                TOps.Store(tail.StudentNumerators, ref studentNumerators, start);
            }
            teacherBlock = TOps.Add(teacherBlock, tail.Teacher);
            studentBlock = TOps.Add(studentBlock, tail.Student);
            weightedBlock = TOps.Add(weightedBlock, tail.Weighted);
        }
        teacherHigh = LaneSum<TOps, TV, T>.FlushInto(teacherHigh, ref teacherLow, teacherBlock);
        studentHigh = LaneSum<TOps, TV, T>.FlushInto(studentHigh, ref studentLow, studentBlock);
        weightedHigh = LaneSum<TOps, TV, T>.FlushInto(weightedHigh, ref weightedLow, weightedBlock);
        return (TOps.Sum(teacherHigh) + TOps.Sum(teacherLow), TOps.Sum(studentHigh) + TOps.Sum(studentLow), TOps.Sum(weightedHigh) + TOps.Sum(weightedLow));
    }

    /// <summary>
    /// The last, overlapping vector of <see cref="RelativeEntropyOfLogits{TStore}"/>: the terms of the lanes not yet seen
    /// (<paramref name="keep"/>; the others 0), and the student numerators of every lane, so that a full-vector store
    /// rewrites the same values. Out of line so that its two exps do not count against the loop's inlining budget.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (TV Teacher, TV Student, TV Weighted, TV StudentNumerators) RelativeEntropyOfLogitsTail(
        TV teacher, TV student, TV keep, TV teacherMax, TV studentMax, TV scale, TV differenceScale)
    {
        TV x = TOps.Subtract(teacher, teacherMax);
        TV y = TOps.Subtract(student, studentMax);
        TV et = TOps.Select(keep, VectorMath<TOps, TV, T>.ExpTerm(TOps.Multiply(x, scale)), Zero);
        TV es = VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Multiply(y, scale));
        return (et, TOps.Select(keep, es, Zero), Weighted(et, TOps.Multiply(TOps.Subtract(x, y), differenceScale)), es);
    }

    /// <summary>St, Ss and KL in nats from the sums of <see cref="RelativeEntropyOfLogits{TStore}"/> of a row of <paramref name="length"/>.</summary>
    public static (double TeacherSum, double StudentSum, double Divergence) RelativeEntropyOfLogitsResult((T TeacherSum, T StudentSum, T Weighted) sums, int length)
    {
        double teacherSum = double.CreateTruncating(sums.TeacherSum);
        double studentSum = double.CreateTruncating(sums.StudentSum);
        double weighted = Math.ScaleB(double.CreateTruncating(sums.Weighted), WeightExponent(length));
        return (teacherSum, studentSum, weighted / teacherSum - Math.Log(teacherSum) + Math.Log(studentSum));
    }

    /// <summary>h = ⌈log₂ n⌉ (0 for n ≤ 1): 2^−h·Σ of n terms each at most M stays at most M.</summary>
    public static int WeightExponent(int length) => length <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(length - 1));

    /// <summary>
    /// The distillation gradient from the teacher logits and the stored student numerators:
    /// cq · e^(s′−ms) − cp · e^((t − Mt)/T) = scale · (q − p).
    /// </summary>
    public readonly struct DistillationGradient(T inverseTemperature, T teacherMax, T teacherScale, T studentScale) : IBinaryOp<TV>
    {
        private readonly TV _inverseTemperature = TOps.Create(inverseTemperature);
        private readonly TV _teacherMax = TOps.Create(teacherMax);
        private readonly TV _teacherScale = TOps.Create(-teacherScale);
        private readonly TV _studentScale = TOps.Create(studentScale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV teacher, TV studentNumerator)
        {
            // (t − Mt)/T ≤ 0 (or NaN): the exponential's bits without its upper clamp.
            TV teacherNumerator = VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Multiply(TOps.Subtract(teacher, _teacherMax), _inverseTemperature));
            return TOps.MultiplyAdd(teacherNumerator, _teacherScale, TOps.Multiply(studentNumerator, _studentScale));
        }
    }

    /// <summary>−[p log q + (1 − p) log(1 − q)], each product 0 where its weight is 0; log(1 − q) as log1p(−q).</summary>
    public readonly struct BinaryCross : IBinaryOp<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV p, TV q)
        {
            TV one = TOps.Create(T.One);
            TV positive = Weighted(p, VectorMath<TOps, TV, T>.Log(q));
            TV negative = Weighted(TOps.Subtract(one, p), VectorMath<TOps, TV, T>.Log1P(TOps.Subtract(Zero, q)));
            return TOps.Subtract(Zero, TOps.Add(positive, negative));
        }
    }

    /// <summary>
    /// −[p log σ(x) + (1 − p) log(1 − σ(x))] = c·x + log1p(e^−|x|) with c = 1 − p for x ≥ 0 and −p otherwise; the
    /// product is 0 where c is 0, so x = ±∞ with a matching hard label gives 0.
    /// </summary>
    public readonly struct BinaryCrossOfLogits : IBinaryOp<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV p, TV x)
        {
            TV nonNegative = TOps.GreaterThanOrEqual(x, Zero);
            TV c = TOps.Select(nonNegative, TOps.Subtract(TOps.Create(T.One), p), TOps.Subtract(Zero, p));
            TV tail = VectorMath<TOps, TV, T>.Log1P(VectorMath<TOps, TV, T>.Exp(TOps.Subtract(Zero, TOps.Abs(x))));
            TV result = TOps.Add(Weighted(c, x), tail);
            return TOps.Select(TOps.Equal(x, x), result, x);
        }
    }

    /// <summary>e^x (perplexity from entropy).</summary>
    public readonly struct Exp : IUnaryOp<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV x) => VectorMath<TOps, TV, T>.Exp(x);
    }
}
