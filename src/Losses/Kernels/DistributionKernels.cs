using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels;

/// <summary>The spans and options of an entropy / divergence call, passed by reference through <see cref="Dispatch"/>.</summary>
internal ref struct DistributionArgs<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public ReadOnlySpan<T> A;
    public ReadOnlySpan<T> B;

    /// <summary>One value per row; empty when only <see cref="Result"/> (single row) or <see cref="Total"/> is wanted.</summary>
    public Span<T> Destination;

    /// <summary>The gradient with respect to <see cref="B"/> (distillation), or empty.</summary>
    public Span<T> Gradient;

    public int ClassCount;
    public int Rows;

    /// <summary>Multiplies every row's value: 1 / ln(base), or T² for distillation.</summary>
    public T Scale;

    /// <summary>Divide the inputs by their row sums first (counts, weights; Jensen–Shannon).</summary>
    public bool Normalize;

    /// <summary><see cref="A"/> holds log-probabilities (PyTorch's <c>log_target</c>); for the binary form, B holds logits.</summary>
    public bool LogTarget;

    /// <summary>Store the square root of each row's value (Jensen–Shannon distance).</summary>
    public bool SquareRoot;

    public T InverseTemperature;

    /// <summary>The factor of (q − p) in the distillation gradient: (1/T) · (T² if scaled) · (1/reduction divisor).</summary>
    public T GradientScale;

    /// <summary>Range check bounds (inclusive) and its verdict.</summary>
    public T Lower;
    public T Upper;
    public bool Valid;

    /// <summary>The value of the last row.</summary>
    public T Result;

    /// <summary>Σ of all rows' values, in double.</summary>
    public double Total;
}

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

    /// <summary>p log p with p = scale · a (SciPy's −entr); the second input is ignored.</summary>
    public readonly struct XLogX(T scale) : IBinaryOp<TV>
    {
        private readonly TV _scale = TOps.Create(scale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b)
        {
            TV p = TOps.Multiply(a, _scale);
            return Weighted(p, VectorMath<TOps, TV, T>.Log(p));
        }
    }

    /// <summary>p log q (the negative cross-entropy's terms).</summary>
    public readonly struct XLogY : IBinaryOp<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV p, TV q) => Weighted(p, VectorMath<TOps, TV, T>.Log(q));
    }

    /// <summary>p (log p − log q) with p = scaleP · a, q = scaleQ · b (SciPy's rel_entr).</summary>
    public readonly struct RelativeEntropy(T scaleP, T scaleQ) : IBinaryOp<TV>
    {
        private readonly TV _scaleP = TOps.Create(scaleP);
        private readonly TV _scaleQ = TOps.Create(scaleQ);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b)
        {
            TV p = TOps.Multiply(a, _scaleP);
            TV q = TOps.Multiply(b, _scaleQ);
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

    /// <summary>p (log p − log m) + q (log q − log m) with m = (p + q)/2, p = scaleP · a, q = scaleQ · b (twice the JS divergence's terms).</summary>
    public readonly struct JensenShannon(T scaleP, T scaleQ) : IBinaryOp<TV>
    {
        private readonly TV _scaleP = TOps.Create(scaleP);
        private readonly TV _scaleQ = TOps.Create(scaleQ);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV a, TV b)
        {
            TV p = TOps.Multiply(a, _scaleP);
            TV q = TOps.Multiply(b, _scaleQ);
            TV logM = VectorMath<TOps, TV, T>.Log(TOps.Multiply(TOps.Add(p, q), TOps.Create(T.CreateTruncating(0.5))));
            TV fromP = Weighted(p, TOps.Subtract(VectorMath<TOps, TV, T>.Log(p), logM));
            TV fromQ = Weighted(q, TOps.Subtract(VectorMath<TOps, TV, T>.Log(q), logM));
            return TOps.Add(fromP, fromQ);
        }
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
    /// slower on rows of 1000 classes, while the extra read of a row in cache costs little.
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
            TV e = VectorMath<TOps, TV, T>.Exp(shifted);
            _sum.Add(e);
            _weighted.Add(Weighted(e, shifted));
        }

        /// <summary>Masks the results rather than the inputs: exp(−∞) goes through an underflowing (subnormal) product, which is slow.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV x, TV b, TV keep)
        {
            TV shifted = TOps.Subtract(x, _max);
            TV e = TOps.Select(keep, VectorMath<TOps, TV, T>.Exp(shifted), Zero);
            _sum.Add(e);
            _weighted.Add(Weighted(e, shifted));
        }

        /// <summary>H in nats; NaN for a NaN or +∞ logit or a fully masked row (S = 0).</summary>
        public readonly double Result() => SumAndEntropy().Entropy;

        /// <summary>S (for log-sum-exp = m + log S) and H in nats.</summary>
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
            _sum.Add(VectorMath<TOps, TV, T>.Exp(shifted));
            _weighted.Add(Weighted(p, shifted));
            _mass.Add(p);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV p, TV x, TV keep)
        {
            TV shifted = TOps.Subtract(x, _max);
            TV weight = TOps.Select(keep, p, Zero);
            _sum.Add(TOps.Select(keep, VectorMath<TOps, TV, T>.Exp(shifted), Zero));
            _weighted.Add(Weighted(weight, shifted));
            _mass.Add(weight);
        }

        /// <summary>H(p, softmax(x)) in nats.</summary>
        public double Result() =>
            double.CreateTruncating(_mass.Total()) * Math.Log(double.CreateTruncating(_sum.Total())) - double.CreateTruncating(_weighted.Total());
    }

    /// <summary>
    /// KL(softmax(t/T) ‖ softmax(s/T)) given the row maxima mt of t/T and ms of s/T: St = Σ e^(t′−mt), Ss = Σ e^(s′−ms)
    /// and W = Σ e^(t′−mt)·((t′ − mt) − (s′ − ms)) with t′ = t/T, s′ = s/T; then KL = W/St − log St + log Ss. Working
    /// with logits relative to their maxima keeps the result accurate for logits of ±1e4. <see cref="EmitTeacher"/> and
    /// <see cref="EmitStudent"/> hold the numerators e^(t′−mt), e^(s′−ms) of the last step, which the distillation stores
    /// for its gradient pass.
    /// </summary>
    public struct RelativeEntropyOfLogits(T inverseTemperature, T teacherMax, T studentMax) : IReducer<TV>
    {
        private readonly TV _inverseTemperature = TOps.Create(inverseTemperature);
        private readonly TV _teacherShift = TOps.Create(-teacherMax);
        private readonly TV _studentShift = TOps.Create(-studentMax);
        private LaneSum<TOps, TV, T> _teacherSum;
        private LaneSum<TOps, TV, T> _studentSum;
        private LaneSum<TOps, TV, T> _weighted;
        public TV EmitTeacher;
        public TV EmitStudent;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV teacher, TV student)
        {
            TV t = TOps.MultiplyAdd(teacher, _inverseTemperature, _teacherShift);
            TV s = TOps.MultiplyAdd(student, _inverseTemperature, _studentShift);
            EmitTeacher = VectorMath<TOps, TV, T>.Exp(t);
            EmitStudent = VectorMath<TOps, TV, T>.Exp(s);
            _teacherSum.Add(EmitTeacher);
            _studentSum.Add(EmitStudent);
            _weighted.Add(Weighted(EmitTeacher, TOps.Subtract(t, s)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV teacher, TV student, TV keep)
        {
            // Masked lanes are already counted: their terms are dropped, while the emitted numerators keep their true
            // values so that a full-vector store rewrites the same values.
            TV t = TOps.MultiplyAdd(teacher, _inverseTemperature, _teacherShift);
            TV s = TOps.MultiplyAdd(student, _inverseTemperature, _studentShift);
            EmitTeacher = VectorMath<TOps, TV, T>.Exp(t);
            EmitStudent = VectorMath<TOps, TV, T>.Exp(s);
            TV e = TOps.Select(keep, EmitTeacher, Zero);
            _teacherSum.Add(e);
            _studentSum.Add(TOps.Select(keep, EmitStudent, Zero));
            _weighted.Add(Weighted(e, TOps.Subtract(t, s)));
        }

        /// <summary>St, Ss and KL in nats.</summary>
        public (double TeacherSum, double StudentSum, double Divergence) Result()
        {
            double teacherSum = double.CreateTruncating(_teacherSum.Total());
            double studentSum = double.CreateTruncating(_studentSum.Total());
            double weighted = double.CreateTruncating(_weighted.Total());
            return (teacherSum, studentSum, weighted / teacherSum - Math.Log(teacherSum) + Math.Log(studentSum));
        }
    }

    /// <summary>The distillation gradient from the stored numerators: cq · e^(s′−ms) − cp · e^(t′−mt) = scale · (q − p).</summary>
    public readonly struct DistillationGradient(T teacherScale, T studentScale) : IBinaryOp<TV>
    {
        private readonly TV _teacherScale = TOps.Create(-teacherScale);
        private readonly TV _studentScale = TOps.Create(studentScale);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV teacherNumerator, TV studentNumerator) =>
            TOps.MultiplyAdd(teacherNumerator, _teacherScale, TOps.Multiply(studentNumerator, _studentScale));
    }

    /// <summary>
    /// <see cref="Rows{TOps, TV, T}.Reduce"/> that also stores the reducer's teacher and student numerators of every step.
    /// The last vectors are loaded before anything is stored, so <paramref name="studentNumerators"/> may be
    /// <paramref name="b"/> itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ReduceAndStore(ref readonly T a, ref readonly T b, ref T teacherNumerators, ref T studentNumerators, int length, ref RelativeEntropyOfLogits reducer)
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint start = n - count;
        TV lastA = TOps.Load(in a, start);
        TV lastB = TOps.Load(in b, start);
        nuint i = 0;
        for (; i + count <= n; i += count)
        {
            reducer.Step(TOps.Load(in a, i), TOps.Load(in b, i));
            TOps.Store(reducer.EmitTeacher, ref teacherNumerators, i);
            TOps.Store(reducer.EmitStudent, ref studentNumerators, i);
        }
        if (i < n)
        {
            TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - start)));
            reducer.StepTail(lastA, lastB, keep);
            TOps.Store(reducer.EmitTeacher, ref teacherNumerators, start);
            TOps.Store(reducer.EmitStudent, ref studentNumerators, start);
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

/// <summary>One row's measure; <see cref="DistributionKernels.EachRow{T, TRow}"/> loops over the rows and stores it.</summary>
internal interface IDistributionRow<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
        where TOps : ISimd<TV, T>
        where TV : struct;
}

/// <summary>The row kernels of <see cref="Entropy"/>, <see cref="KLDivergence"/> and <see cref="JensenShannon"/>.</summary>
internal static class DistributionKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref readonly T RowOf<T>(ReadOnlySpan<T> span, int row, int classCount) =>
        ref Unsafe.Add(ref MemoryMarshal.GetReference(span), (nint)row * classCount);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ref DistributionArgs<T> args, int row, double value)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T result = T.CreateTruncating(value);
        if (!args.Destination.IsEmpty)
        {
            Unsafe.Add(ref MemoryMarshal.GetReference(args.Destination), row) = result;
        }
        args.Result = result;
        args.Total += double.CreateTruncating(result);
    }

    /// <summary>The loop over rows for every per-row measure: computes each row's value and stores it.</summary>
    public readonly struct EachRow<T, TRow> : IRowKernel<T, DistributionArgs<T>>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRow : IDistributionRow<T>
    {
        public static void Run<TOps, TV>(scoped ref DistributionArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            for (int row = 0; row < args.Rows; row++)
            {
                Store(ref args, row, TRow.Row<TOps, TV>(ref args, row));
            }
        }
    }

    /// <summary>A: probabilities (or counts when Normalize). −Σ p log p · Scale per row.</summary>
    public readonly struct Entropy<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            ref readonly T p = ref RowOf(args.A, row, n);
            T scale = args.Normalize ? T.One / Rows<TOps, TV, T>.Sum(in p, n) : T.One;
            T sum = Rows<TOps, TV, T>.SumOf(in p, in p, n, new DistributionTerms<TOps, TV, T>.XLogX(scale));
            return -double.CreateTruncating(sum) * double.CreateTruncating(args.Scale);
        }
    }

    /// <summary>A: p, B: q. −Σ p log q · Scale per row.</summary>
    public readonly struct Cross<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            T sum = Rows<TOps, TV, T>.SumOf(in RowOf(args.A, row, n), in RowOf(args.B, row, n), n, new DistributionTerms<TOps, TV, T>.XLogY());
            return -double.CreateTruncating(sum) * double.CreateTruncating(args.Scale);
        }
    }

    /// <summary>A: p, B: q (normalised first when Normalize). Σ p log(p/q) · Scale per row.</summary>
    public readonly struct RelativeEntropy<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            ref readonly T p = ref RowOf(args.A, row, n);
            ref readonly T q = ref RowOf(args.B, row, n);
            (T scaleP, T scaleQ) = args.Normalize ? InverseSums<TOps, TV, T>(in p, in q, n) : (T.One, T.One);
            T sum = Rows<TOps, TV, T>.SumOf(in p, in q, n, new DistributionTerms<TOps, TV, T>.RelativeEntropy(scaleP, scaleQ));
            return double.CreateTruncating(sum) * double.CreateTruncating(args.Scale);
        }
    }

    /// <summary>A: p (or log p when LogTarget), B: log q. Σ p (log p − log q) per row.</summary>
    public readonly struct LogRelativeEntropy<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            T sum = Rows<TOps, TV, T>.SumOf(in RowOf(args.A, row, n), in RowOf(args.B, row, n), n, new DistributionTerms<TOps, TV, T>.LogRelativeEntropy(args.LogTarget));
            return double.CreateTruncating(sum) * double.CreateTruncating(args.Scale);
        }
    }

    /// <summary>A: p, B: q, both normalised. ½ Σ [p log(p/m) + q log(q/m)] · Scale per row.</summary>
    public readonly struct JensenShannon<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            ref readonly T p = ref RowOf(args.A, row, n);
            ref readonly T q = ref RowOf(args.B, row, n);
            (T scaleP, T scaleQ) = InverseSums<TOps, TV, T>(in p, in q, n);
            T sum = Rows<TOps, TV, T>.SumOf(in p, in q, n, new DistributionTerms<TOps, TV, T>.JensenShannon(scaleP, scaleQ));
            double divergence = Math.Max(0.5 * double.CreateTruncating(sum), 0);
            divergence *= double.CreateTruncating(args.Scale);
            return args.SquareRoot ? Math.Sqrt(divergence) : divergence;
        }
    }

    /// <summary>A: logits. H(softmax(x)) · Scale per row: a max pass, then one fused pass (one exp per element).</summary>
    public readonly struct EntropyOfLogits<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            ref readonly T x = ref RowOf(args.A, row, n);
            var reducer = new DistributionTerms<TOps, TV, T>.EntropyOfLogits(Max<TOps, TV, T>(in x, in x, n).A);
            Rows<TOps, TV, T>.Reduce(in x, in x, n, ref reducer);
            return reducer.Result() * double.CreateTruncating(args.Scale);
        }
    }

    /// <summary>A: p, B: logits of q. H(p, softmax(x)) · Scale per row: a max pass, then one fused pass.</summary>
    public readonly struct CrossOfLogits<T> : IDistributionRow<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Row<TOps, TV>(scoped ref DistributionArgs<T> args, int row)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            ref readonly T x = ref RowOf(args.B, row, n);
            var reducer = new DistributionTerms<TOps, TV, T>.CrossOfLogits(Max<TOps, TV, T>(in x, in x, n).A);
            Rows<TOps, TV, T>.Reduce(in RowOf(args.A, row, n), in x, n, ref reducer);
            return reducer.Result() * double.CreateTruncating(args.Scale);
        }
    }

    /// <summary>
    /// A: teacher logits, B: student logits. KL(softmax(t/T) ‖ softmax(s/T)) · Scale per row: a max pass over both rows,
    /// one fused pass (two exps per element) that, when a gradient is wanted, also stores the student numerators into it
    /// and the teacher numerators into a scratch row (pooled: no allocation once warm), then a pass without exps that
    /// turns them into GradientScale · (q − p). Two exps per element in all, the minimum.
    /// </summary>
    public readonly struct RelativeEntropyOfLogits<T> : IRowKernel<T, DistributionArgs<T>>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Run<TOps, TV>(scoped ref DistributionArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            bool gradient = !args.Gradient.IsEmpty;
            ref T g = ref MemoryMarshal.GetReference(args.Gradient);
            T[]? scratch = gradient ? ArrayPool<T>.Shared.Rent(n) : null;
            ref T p = ref gradient ? ref MemoryMarshal.GetArrayDataReference(scratch!) : ref Unsafe.NullRef<T>();
            T inverseTemperature = args.InverseTemperature;
            for (int row = 0; row < args.Rows; row++)
            {
                ref readonly T t = ref RowOf(args.A, row, n);
                ref readonly T s = ref RowOf(args.B, row, n);
                var (teacherMax, studentMax) = Max<TOps, TV, T>(in t, in s, n);

                // max(x/T) = max(x)/T: rounding is monotonic.
                teacherMax *= inverseTemperature;
                studentMax *= inverseTemperature;
                var reducer = new DistributionTerms<TOps, TV, T>.RelativeEntropyOfLogits(inverseTemperature, teacherMax, studentMax);
                ref T gr = ref Unsafe.Add(ref g, (nint)row * n);
                if (gradient)
                {
                    DistributionTerms<TOps, TV, T>.ReduceAndStore(in t, in s, ref p, ref gr, n, ref reducer);
                }
                else
                {
                    Rows<TOps, TV, T>.Reduce(in t, in s, n, ref reducer);
                }
                var (teacherSum, studentSum, divergence) = reducer.Result();
                Store(ref args, row, divergence * double.CreateTruncating(args.Scale));
                if (gradient)
                {
                    double scale = double.CreateTruncating(args.GradientScale);
                    var op = new DistributionTerms<TOps, TV, T>.DistillationGradient(T.CreateTruncating(scale / teacherSum), T.CreateTruncating(scale / studentSum));
                    Rows<TOps, TV, T>.Map(in p, in gr, ref gr, n, op);
                }
            }
            if (scratch is not null)
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>The maxima of one or two rows (each at least MinValue), one pass. Not inlined: its loop would use up the
    /// JIT's inlining budget of the caller, which then calls the exp polynomial instead of inlining it (measured 4× slower).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static (T A, T B) Max<TOps, TV, T>(ref readonly T a, ref readonly T b, int n)
        where TOps : ISimd<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var reducer = new DistributionTerms<TOps, TV, T>.MaxPair();
        Rows<TOps, TV, T>.Reduce(in a, in b, n, ref reducer);
        return (DistributionTerms<TOps, TV, T>.MaxPair.Reduce(reducer.MaxA), DistributionTerms<TOps, TV, T>.MaxPair.Reduce(reducer.MaxB));
    }

    /// <summary>A: p, B: q (or logits of q when LogTarget). The binary cross-entropy per element into Destination (if any), Σ into Total.</summary>
    public readonly struct BinaryCross<T> : IRowKernel<T, DistributionArgs<T>>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Run<TOps, TV>(scoped ref DistributionArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            int n = args.ClassCount;
            ref readonly T p = ref MemoryMarshal.GetReference(args.A);
            ref readonly T q = ref MemoryMarshal.GetReference(args.B);
            if (args.LogTarget)
            {
                args.Total = Apply<TOps, TV, DistributionTerms<TOps, TV, T>.BinaryCrossOfLogits>(in p, in q, args.Destination, n, default);
            }
            else
            {
                args.Total = Apply<TOps, TV, DistributionTerms<TOps, TV, T>.BinaryCross>(in p, in q, args.Destination, n, default);
            }
        }

        private static double Apply<TOps, TV, TOp>(ref readonly T p, ref readonly T q, Span<T> destination, int n, TOp op)
            where TOps : ISimd<TV, T>
            where TV : struct
            where TOp : struct, IBinaryOp<TV>
        {
            if (destination.IsEmpty)
            {
                return double.CreateTruncating(Rows<TOps, TV, T>.SumOf(in p, in q, n, op));
            }
            ref T d = ref MemoryMarshal.GetReference(destination);
            Rows<TOps, TV, T>.Map(in p, in q, ref d, n, op);
            return double.CreateTruncating(Rows<TOps, TV, T>.Sum(in d, n));
        }
    }

    /// <summary>Destination[i] = e^Destination[i] over ClassCount elements (perplexity from entropy).</summary>
    public readonly struct ExpInPlace<T> : IRowKernel<T, DistributionArgs<T>>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Run<TOps, TV>(scoped ref DistributionArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref T d = ref MemoryMarshal.GetReference(args.Destination);
            Rows<TOps, TV, T>.Map(in d, ref d, args.ClassCount, new DistributionTerms<TOps, TV, T>.Exp());
        }
    }

    /// <summary>A over ClassCount elements: Valid = every element in [Lower, Upper] (NaN is not).</summary>
    public readonly struct RangeCheck<T> : IRowKernel<T, DistributionArgs<T>>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Run<TOps, TV>(scoped ref DistributionArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref readonly T a = ref MemoryMarshal.GetReference(args.A);
            var reducer = new DistributionTerms<TOps, TV, T>.InRange(args.Lower, args.Upper);
            Rows<TOps, TV, T>.Reduce(in a, in a, args.ClassCount, ref reducer);
            args.Valid = reducer.AllGood();
        }
    }

    /// <summary>1/Σp and 1/Σq of a pair of rows, in one pass.</summary>
    private static (T, T) InverseSums<TOps, TV, T>(ref readonly T p, ref readonly T q, int n)
        where TOps : ISimd<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sums = new DistributionTerms<TOps, TV, T>.SumPair();
        Rows<TOps, TV, T>.Reduce(in p, in q, n, ref sums);
        return (T.One / sums.SumA.Total(), T.One / sums.SumB.Total());
    }
}

/// <summary>Argument checks shared by the information measures.</summary>
internal static class DistributionGuard
{
    /// <summary>Every element finite and ≥ 0 (probabilities, counts, weights).</summary>
    public static void Probabilities<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        InRange(values, T.Zero, FloatLimits<T>.MaxValue, name, "probabilities, counts and weights must be finite and non-negative");

    /// <summary>Every element in [0, 1] (binary probabilities).</summary>
    public static void UnitInterval<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        InRange(values, T.Zero, T.One, name, "binary probabilities must lie in [0, 1]");

    /// <summary>No NaN or +∞ (log-probabilities; −∞ is log 0).</summary>
    public static void LogProbabilities<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        InRange(values, T.NegativeInfinity, FloatLimits<T>.MaxValue, name, "log-probabilities must not be NaN or +Infinity");

    /// <summary>Every element in [lower, upper], checked in one vectorized pass; the first offender is reported.</summary>
    public static void InRange<T>(ReadOnlySpan<T> values, T lower, T upper, string name, string rule)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (values.IsEmpty)
        {
            return;
        }
        var args = new DistributionArgs<T> { A = values, ClassCount = values.Length, Rows = 1, Lower = lower, Upper = upper };
        Dispatch.Run<T, DistributionKernels.RangeCheck<T>, DistributionArgs<T>>(values.Length, ref args);
        if (!args.Valid)
        {
            ThrowOutOfRange(values, lower, upper, name, rule);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowOutOfRange<T>(ReadOnlySpan<T> values, T lower, T upper, string name, string rule)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            T value = values[i];
            if (!(value >= lower && value <= upper))
            {
                throw new ArgumentOutOfRangeException(name, value, FormattableString.Invariant($"{name}[{i}] is {value}; {rule}."));
            }
        }
    }

    /// <summary>1 / ln(base) for a base that is positive, finite and not 1.</summary>
    public static T InverseLogOfBase<T>(double logBase, [CallerArgumentExpression(nameof(logBase))] string name = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(logBase > 0) || logBase == 1 || double.IsPositiveInfinity(logBase))
        {
            throw new ArgumentOutOfRangeException(name, logBase, "The logarithm base must be positive, finite and not 1 (e.g. Math.E for nats, 2 for bits, 10 for dits).");
        }
        return T.CreateTruncating(logBase == Math.E ? 1.0 : 1.0 / Math.Log(logBase));
    }

    /// <summary>1 / T for a temperature that is positive and finite.</summary>
    public static double Temperature(double temperature, [CallerArgumentExpression(nameof(temperature))] string name = "")
    {
        if (!(temperature > 0) || double.IsPositiveInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(name, temperature, "The temperature must be positive and finite.");
        }
        return temperature;
    }
}
