using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Losses.Kernels;

/// <summary>The pair pass of two models' rows (ModelComparison): both normalizers, the weighted difference sum and the argmaxes in one pass.</summary>
internal static partial class Rows<TOps, TV, T>
    where TOps : ISimd<TV, T>
    where TV : struct
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The statistics of two rows a and b (elements stored as T, Half or bfloat16, widened exactly in the loads) in one
    /// pass over both, two exps per element pair: per row its maximum M and Σ e^(x − M), whether the first indices of the
    /// two maxima (as torch.argmax) agree, and W = Σ e^(a − M_a)·((a − b) − δ) with the shift δ = max a − max b over the
    /// seed (0 if not finite), so that KL(softmax a ‖ softmax b) = W/S_a − ((M_a − M_b) − δ) − log S_a + log S_b. δ makes
    /// the differences small when the models differ by about a constant, so KL near 0 keeps its digits.
    /// </summary>
    /// <remarks>
    /// As the online normalizer (<see cref="Normalizer"/>): a seed pass takes the maxima of the first SeedLength elements
    /// of both rows (all of a shorter row), from which every lane starts; the main pass keeps per lane the running
    /// maxima and the three sums (blocks flushed with TwoSum into high + low, in locals so that they stay in registers).
    /// A row that fits in the seed cannot rise above it: its pass has no rise test and prefetches the next rows at the same
    /// offset (as the normalizer's; measured 13–16 % faster at 1000 classes). In a longer row, a vector where some lane rises takes
    /// −|x − m| into its exps, which is x − m where that lane does not rise and the rescale factor exp(m − x) where it does,
    /// so the rare rescale needs no exp of its own. The pass does not floor (a − b) − δ: a −∞ logit of a (e = 0) would
    /// contribute 0·(−∞) = NaN, so a row whose W comes out NaN or −∞ (which no later term undoes) is passed again with the
    /// difference floored at the most negative finite value, and every row gets the bits of the floored pass; the lanes of
    /// the overlapping last vector already seen get a difference of 0. A +∞ or NaN logit makes its row's sum NaN.
    /// The argmax of a whose maximum lies in the seed is its first occurrence there (a vectorised search of its bits);
    /// otherwise the smallest index the rises of the lanes holding it recorded (kept in memory, written only by a rise:
    /// a search of the whole row measured ~10 % slower on rows of 128 000 classes, and indices in registers cost the sums
    /// theirs). b's first maximum is a's exactly when b holds its maximum there and nowhere before, so b is searched
    /// only up to a's argmax, and not at all when b's value there is not its maximum. In a row that fits, no search at all
    /// when no lane of the seed pass holds both rows' maxima (the first maxima are then at different indices: about 15 in
    /// 16 rows whose argmaxes differ).
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static PairStatistics<T> PairStatistics<TA, TB>(ref readonly TA a, ref readonly TB b, int length)
        where TA : unmanaged
        where TB : unmanaged
    {
        // Without the floor of (a − b) − δ first: it only matters where a lane's difference is −∞ or NaN, and then W is
        // −∞ or NaN (0·(−∞), e·(−∞), or NaN, none of which a later term or rescale undoes), so such a row is passed
        // again with the floor, which gives the bits of the floored pass on every row.
        // A row that fits in the seed cannot rise above it: its pass has no rise test (and prefetches the next rows).
        // (Assigned in branches, not by a conditional expression, which copies the result through a temporary.)
        PairPassResult pass;
        bool fits = length <= SeedLength;
        if (fits)
        {
            pass = PairPass<TA, TB, Unfloored, Fits>(in a, in b, length);
        }
        else
        {
            pass = PairPass<TA, TB, Unfloored, Rises>(in a, in b, length);
        }
        if (T.IsNaN(pass.Weighted) || pass.Weighted == T.NegativeInfinity)
        {
            if (fits)
            {
                pass = PairPass<TA, TB, Floored, Fits>(in a, in b, length);
            }
            else
            {
                pass = PairPass<TA, TB, Floored, Rises>(in a, in b, length);
            }
        }
        bool sameTop = !pass.TopsApart && SameFirstMaximum(in a, in b, length, in pass);
        return new PairStatistics<T>
        {
            MaxA = pass.MaxA,
            MaxB = pass.MaxB,
            SumA = pass.SumA,
            SumB = pass.SumB,
            Weighted = pass.Weighted,
            Shift = pass.Shift,
            SameTop = sameTop,
        };
    }

    /// <summary>Whether the first maxima of a and b are at the same index (a searched; b only up to a's, or by its lanes).</summary>
    private static bool SameFirstMaximum<TA, TB>(ref readonly TA a, ref readonly TB b, int length, ref readonly PairPassResult pass)
        where TA : unmanaged
        where TB : unmanaged
    {
        int seedEnd = Math.Min(length, SeedLength);
        int argmaxA = PairArgmax(in a, length, seedEnd, pass.MaxA, pass.SeedA, pass.LaneMaxA, pass.RisenA);
        if (pass.MaxB == pass.SeedB && !(typeof(T) == typeof(float) && length > (1 << 24)))
        {
            // b's first maximum is argmax a exactly when b holds its maximum there and nowhere before: no search past argmax a.
            return argmaxA >= 0 && Elements<TOps, TV, T>.LoadOne(in b, (nuint)argmaxA) == pass.MaxB && FirstIndexOf(in b, argmaxA, pass.MaxB) < 0;
        }
        return argmaxA == PairArgmax(in b, length, seedEnd, pass.MaxB, pass.SeedB, pass.LaneMaxB, pass.RisenB);
    }

    /// <summary>The pass of <see cref="PairStatistics{TA, TB}"/>: sums, maxima and what the argmaxes need.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static PairPassResult PairPass<TA, TB, TFloor, TRise>(ref readonly TA a, ref readonly TB b, int length)
        where TA : unmanaged
        where TB : unmanaged
        where TFloor : struct
        where TRise : struct
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        nuint seedEnd = Math.Min(n, SeedLength);
        bool fits = typeof(TRise) == typeof(Fits);
        // Every lane starts from the seed's maximum (not its own): a row that fits then needs no rescale of lanes at the end,
        // and a longer one rises less often.
        (TV seedLanesA, TV seedLanesB) = PairSeedMax(in a, in b, n);
        T seedA = TOps.MaxAcross(seedLanesA);
        T seedB = TOps.MaxAcross(seedLanesB);
        TV maxA = TOps.Create(seedA);
        TV maxB = TOps.Create(seedB);

        // In a row that fits, the seed's lanes saw every element: a first maximum at index i sits in a lane that holds the
        // maximum of both rows if b's first maximum is there too, so rows with no such lane have different argmaxes.
        bool topsApart = fits && !TOps.AnyGreaterThan(
            TOps.Select(TOps.And(TOps.Equal(seedLanesA, maxA), TOps.Equal(seedLanesB, maxB)), TOps.Create(T.One), default), default);
        T shift = seedA - seedB;
        shift = T.IsFinite(shift) ? shift : T.Zero;
        TV shiftV = TOps.Create(shift);
        TV blockA = default, highA = default, lowA = default;
        TV blockB = default, highB = default, lowB = default;
        TV blockW = default, highW = default, lowW = default;

        // The index of each lane's latest rise, per row: in memory (only the rare rise touches it), so that the loop's
        // registers stay with the sums.
        var risenIndices = new PairIndices { A = TOps.Create(T.PositiveInfinity), B = TOps.Create(T.PositiveInfinity) };
        ref PairIndices risen = ref risenIndices; // address-exposed: not promoted to registers
        int steps = 0;
        nuint i = 0;
        while (true)
        {
            TV va;
            TV vb;
            TV difference;
            nuint at;
            if (i + count <= n)
            {
                at = i;
                va = Elements<TOps, TV, T>.Load(in a, i);
                vb = Elements<TOps, TV, T>.Load(in b, i);
                difference = TOps.Subtract(TOps.Subtract(va, vb), shiftV);
                i += count;
            }
            else if (i < n)
            {
                // The last, overlapping vector: lanes already seen become −∞ (no rise, e = 0) with a difference of 0
                // (a W term of 0, not 0·NaN).
                at = n - count;
                TV keep = TailMask(i, at);
                va = Elements<TOps, TV, T>.Load(in a, at);
                vb = Elements<TOps, TV, T>.Load(in b, at);
                difference = TOps.Select(keep, TOps.Subtract(TOps.Subtract(va, vb), shiftV), default);
                va = TOps.Select(keep, va, TOps.Create(T.NegativeInfinity));
                vb = TOps.Select(keep, vb, TOps.Create(T.NegativeInfinity));
                i = n;
            }
            else
            {
                break;
            }
            if (fits)
            {
                // The same offset in the next rows, so that their maximum pass reads from L1 (as the normalizer's).
                PrefetchNext(in a, n + at);
                PrefetchNext(in b, n + at);
            }
            if (typeof(TFloor) == typeof(Floored))
            {
                difference = TOps.MaxFast(difference, TOps.Create(FloatLimits<T>.MinValue));
            }

            // Nothing in the seed can rise above the seeded maxima: the test starts after it (never, in a row that fits).
            TV dA = TOps.Subtract(va, maxA);
            TV dB = TOps.Subtract(vb, maxB);
            bool rises = !fits && at >= seedEnd && (TOps.AnyGreaterThan(va, maxA) || TOps.AnyGreaterThan(vb, maxB));
            if (rises)
            {
                // exp(−|x − m|): exp(x − m) in lanes that do not rise, the rescale factor exp(m − x) in those that do.
                dA = TOps.Or(dA, TOps.Create(T.NegativeZero));
                dB = TOps.Or(dB, TOps.Create(T.NegativeZero));
            }
            TV eA = VectorMath<TOps, TV, T>.ExpTerm(dA);
            TV eB = VectorMath<TOps, TV, T>.ExpTerm(dB);
            if (rises)
            {
                // Rising lanes: eX is the rescale factor and their own term exp(x − m') is 1 (NaN for x = +∞).
                TV one = TOps.Create(T.One);
                TV upA = TOps.LessThan(maxA, va);
                TV upB = TOps.LessThan(maxB, vb);
                TV position = TOps.Add(TOps.Indices, TOps.Create(T.CreateTruncating(at)));
                risen.A = TOps.Select(upA, position, risen.A);
                risen.B = TOps.Select(upB, position, risen.B);
                TV newA = TOps.MaxFast(maxA, va);
                TV newB = TOps.MaxFast(maxB, vb);
                TV factorA = TOps.Select(upA, eA, one);
                TV factorB = TOps.Select(upB, eB, one);
                TV termA = TOps.Select(upA, TOps.Add(one, TOps.Subtract(va, newA)), eA);
                TV termB = TOps.Select(upB, TOps.Add(one, TOps.Subtract(vb, newB)), eB);
                blockA = TOps.MultiplyAdd(blockA, factorA, termA);
                highA = TOps.Multiply(highA, factorA);
                lowA = TOps.Multiply(lowA, factorA);
                blockW = TOps.MultiplyAdd(termA, difference, TOps.Multiply(blockW, factorA));
                highW = TOps.Multiply(highW, factorA);
                lowW = TOps.Multiply(lowW, factorA);
                blockB = TOps.MultiplyAdd(blockB, factorB, termB);
                highB = TOps.Multiply(highB, factorB);
                lowB = TOps.Multiply(lowB, factorB);
                maxA = newA;
                maxB = newB;
            }
            else
            {
                blockA = TOps.Add(blockA, eA);
                blockB = TOps.Add(blockB, eB);
                blockW = TOps.MultiplyAdd(eA, difference, blockW);
            }
            if ((++steps & (PairWeightedSteps - 1)) == 0)
            {
                highW = LaneSum<TOps, TV, T>.FlushInto(highW, ref lowW, blockW);
                blockW = default;
                if (steps == UnitBlockSteps)
                {
                    highA = LaneSum<TOps, TV, T>.FlushInto(highA, ref lowA, blockA);
                    highB = LaneSum<TOps, TV, T>.FlushInto(highB, ref lowB, blockB);
                    blockA = default;
                    blockB = default;
                    steps = 0;
                }
            }
        }
        highA = LaneSum<TOps, TV, T>.FlushInto(highA, ref lowA, blockA);
        highB = LaneSum<TOps, TV, T>.FlushInto(highB, ref lowB, blockB);
        highW = LaneSum<TOps, TV, T>.FlushInto(highW, ref lowW, blockW);
        T rowA = TOps.MaxAcross(maxA);
        T rowB = TOps.MaxAcross(maxB);
        if (rowA != seedA)
        {
            // Some lane rose: the others are rescaled to the row maximum (exp(m − M) = 1 for the lanes holding it).
            TV factor = ExpOutOfLine(TOps.Subtract(maxA, TOps.Create(rowA)));
            (highA, lowA, highW, lowW) = (TOps.Multiply(highA, factor), TOps.Multiply(lowA, factor), TOps.Multiply(highW, factor), TOps.Multiply(lowW, factor));
        }
        if (rowB != seedB)
        {
            TV factor = ExpOutOfLine(TOps.Subtract(maxB, TOps.Create(rowB)));
            (highB, lowB) = (TOps.Multiply(highB, factor), TOps.Multiply(lowB, factor));
        }
        return new PairPassResult
        {
            MaxA = rowA,
            MaxB = rowB,
            SeedA = seedA,
            SeedB = seedB,
            SumA = TOps.Sum(highA) + TOps.Sum(lowA),
            SumB = TOps.Sum(highB) + TOps.Sum(lowB),
            Weighted = TOps.Sum(highW) + TOps.Sum(lowW),
            Shift = shift,
            LaneMaxA = maxA,
            LaneMaxB = maxB,
            RisenA = risen.A,
            RisenB = risen.B,
            TopsApart = topsApart,
        };
    }

    /// <summary>Prefetches the cache line of x[index] into L1 (nothing without SSE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchNext<TIn>(ref readonly TIn x, nuint index)
        where TIn : unmanaged
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref Unsafe.AsRef(in x), index)));
        }
    }

    /// <summary>The pair pass with (a − b) − δ floored at the most negative finite value.</summary>
    private struct Floored;

    /// <summary>The pair pass without the floor.</summary>
    private struct Unfloored;

    /// <summary>The pair pass of a row of at most SeedLength elements: no lane can rise above the seed's maximum.</summary>
    private struct Fits;

    /// <summary>The pair pass of a longer row: lanes rise after the seed.</summary>
    private struct Rises;

    private struct PairPassResult
    {
        public T MaxA, MaxB, SeedA, SeedB, SumA, SumB, Weighted, Shift;
        public TV LaneMaxA, LaneMaxB, RisenA, RisenB;

        /// <summary>The two rows' first maxima are at different indices (known from the seed's lanes alone).</summary>
        public bool TopsApart;
    }

    /// <summary>Vectors of the pair pass's W summed in T between two flushes (its terms are not bounded by 1).</summary>
    private const int PairWeightedSteps = 16;

    /// <summary>The per-lane maxima of both rows over the seed (all of a row of at most SeedLength), floored at MinValue, in two chains per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TV A, TV B) PairSeedMax<TA, TB>(ref readonly TA a, ref readonly TB b, nuint n)
        where TA : unmanaged
        where TB : unmanaged
    {
        nuint count = (nuint)TOps.Count;
        nuint end = Math.Min(n, SeedLength);
        nuint last = n <= SeedLength ? n - count : 0;
        TV floor = TOps.Create(FloatLimits<T>.MinValue);
        TV a0 = TOps.MaxFast(Elements<TOps, TV, T>.Load(in a, last), floor);
        TV b0 = TOps.MaxFast(Elements<TOps, TV, T>.Load(in b, last), floor);
        TV a1 = a0;
        TV b1 = b0;
        nuint i = 0;
        for (; i + (2 * count) <= end; i += 2 * count)
        {
            a0 = TOps.MaxFast(a0, Elements<TOps, TV, T>.Load(in a, i));
            b0 = TOps.MaxFast(b0, Elements<TOps, TV, T>.Load(in b, i));
            a1 = TOps.MaxFast(a1, Elements<TOps, TV, T>.Load(in a, i + count));
            b1 = TOps.MaxFast(b1, Elements<TOps, TV, T>.Load(in b, i + count));
        }
        if (i + count <= end)
        {
            a0 = TOps.MaxFast(a0, Elements<TOps, TV, T>.Load(in a, i));
            b0 = TOps.MaxFast(b0, Elements<TOps, TV, T>.Load(in b, i));
        }
        return (TOps.MaxFast(a0, a1), TOps.MaxFast(b0, b1));
    }

    private struct PairIndices
    {
        public TV A;
        public TV B;
    }

    /// <summary>
    /// The first index of the row maximum <paramref name="max"/>: searched in the seed when the seed holds it; otherwise
    /// the smallest index recorded by a lane whose maximum it is (each lane records its first rise to its final maximum).
    /// Indices in T are exact below 2²⁴ for float: longer float rows are searched whole.
    /// </summary>
    private static int PairArgmax<TIn>(ref readonly TIn x, int length, int seedEnd, T max, T seedMax, TV laneMax, TV laneIndex)
        where TIn : unmanaged
    {
        if (max == seedMax || (typeof(T) == typeof(float) && length > (1 << 24)))
        {
            return FirstIndexOf(in x, max == seedMax ? seedEnd : length, max);
        }
        T first = T.PositiveInfinity;
        for (int lane = 0; lane < TOps.Count; lane++)
        {
            if (TOps.GetElement(laneMax, lane) == max)
            {
                first = T.Min(first, TOps.GetElement(laneIndex, lane));
            }
        }
        return T.IsFinite(first) ? int.CreateTruncating(first) : -1;
    }

    /// <summary>The first index of <paramref name="value"/> in x[0..length) by a vectorised search of its bit pattern in the stored format (±0 by either zero); −1 if absent (a NaN maximum).</summary>
    private static int FirstIndexOf<TIn>(ref readonly TIn x, int length, T value)
        where TIn : unmanaged
    {
        ref TIn start = ref Unsafe.AsRef(in x);
        bool zero = T.IsZero(value);
        if (typeof(TIn) == typeof(float) || typeof(TIn) == typeof(double))
        {
            if (typeof(TIn) == typeof(float))
            {
                var bits = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TIn, int>(ref start), length);
                return zero ? bits.IndexOfAny(0, int.MinValue) : bits.IndexOf(BitConverter.SingleToInt32Bits(float.CreateTruncating(value)));
            }
            var wide = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TIn, long>(ref start), length);
            return zero ? wide.IndexOfAny(0L, long.MinValue) : wide.IndexOf(BitConverter.DoubleToInt64Bits(double.CreateTruncating(value)));
        }
        var half = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TIn, ushort>(ref start), length);
        if (zero)
        {
            return half.IndexOfAny((ushort)0, (ushort)0x8000);
        }
        float single = float.CreateTruncating(value);
        ushort pattern = typeof(TIn) == typeof(Half)
            ? BitConverter.HalfToUInt16Bits((Half)single)
            : (ushort)(BitConverter.SingleToUInt32Bits(single) >> 16);
        return half.IndexOf(pattern);
    }
}

/// <summary>The statistics of two rows from <see cref="Rows{TOps, TV, T}.PairStatistics{TA, TB}"/>.</summary>
internal struct PairStatistics<T>
    where T : unmanaged
{
    /// <summary>max a (at least the most negative finite value; NaN or +∞ may show in the sums instead).</summary>
    public T MaxA;

    /// <summary>max b.</summary>
    public T MaxB;

    /// <summary>Σ e^(a − MaxA).</summary>
    public T SumA;

    /// <summary>Σ e^(b − MaxB).</summary>
    public T SumB;

    /// <summary>W = Σ e^(a − MaxA)·((a − b) − Shift).</summary>
    public T Weighted;

    /// <summary>The shift δ of W.</summary>
    public T Shift;

    /// <summary>The first index of MaxA in a (as torch.argmax) is that of MaxB in b (false for a row whose maximum is NaN).</summary>
    public bool SameTop;
}
