using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels;

/// <summary>
/// The kernels of the information measures over counts: Σ (s·x) ln (s·x) over a histogram, and the sorted scan that finds
/// the best threshold of a numeric feature. Entropies are −Σ p ln p with p = count / total, so every term is accurate on
/// its own (no ln N − S/N cancellation for nearly pure histograms).
/// </summary>
internal static class InformationKernels
{
    /// <summary>Σᵢ (xᵢ/total) ln (xᵢ/total), with 0 ln 0 = 0; 0 for an empty span. Dividing (rather than multiplying by
    /// 1/total) makes a pure histogram's p exactly 1, so its entropy is exactly 0.</summary>
    public static T SumXLogX<T>(ReadOnlySpan<T> x, T total)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.IsEmpty)
        {
            return T.Zero;
        }
        var args = new XLogXArgs<T> { Source = x, Total = total };
        Dispatch.Run<T, SumKernel<T>, XLogXArgs<T>>(x.Length, ref args);
        return args.Result;
    }

    /// <summary>xᵢ ← xᵢ ln xᵢ in place, with 0 ln 0 = 0.</summary>
    public static void MapXLogX(Span<double> x)
    {
        if (x.IsEmpty)
        {
            return;
        }
        var args = new XLogXArgs<double> { Destination = x, Total = 1.0 };
        Dispatch.Run<double, MapKernel, XLogXArgs<double>>(x.Length, ref args);
    }

    /// <summary>Σᵢ (xᵢ/total) ln (xᵢ/total) of int counts, converted to double a block at a time.</summary>
    public static double SumXLogX(ReadOnlySpan<int> counts, double total)
    {
        Span<double> block = stackalloc double[256];
        double sum = 0;
        for (int start = 0; start < counts.Length; start += block.Length)
        {
            var chunk = counts.Slice(start, Math.Min(block.Length, counts.Length - start));
            for (int i = 0; i < chunk.Length; i++)
            {
                block[i] = chunk[i];
            }
            sum += SumXLogX<double>(block[..chunk.Length], total);
        }
        return sum;
    }

    internal ref struct XLogXArgs<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<T> Source;
        public Span<T> Destination;
        public T Total;
        public T Result;
    }

    /// <summary>(x/total) ln (x/total), and 0 where x = 0 (where ln gives −∞ and the product NaN).</summary>
    private readonly struct XLogX<TOps, TV, T>(T total) : IUnaryOp<TV>
        where TOps : ISimd<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly TV _total = TOps.Create(total);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Invoke(TV x)
        {
            TV p = TOps.Divide(x, _total);
            TV zero = TOps.Create(T.Zero);
            return TOps.Select(TOps.Equal(p, zero), zero, TOps.Multiply(p, VectorMath<TOps, TV, T>.Log(p)));
        }
    }

    private struct XLogXSum<TOps, TV, T>(T total) : IReducer<TV>
        where TOps : ISimd<TV, T>
        where TV : struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly XLogX<TOps, TV, T> _op = new(total);
        public LaneSum<TOps, TV, T> Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(TV a, TV b) => Sum.Add(_op.Invoke(a));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StepTail(TV a, TV b, TV keep) => Sum.Add(TOps.Select(keep, _op.Invoke(a), default));
    }

    private readonly struct SumKernel<T> : IRowKernel<T, XLogXArgs<T>>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static void Run<TOps, TV>(scoped ref XLogXArgs<T> args)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            ref readonly T x = ref MemoryMarshal.GetReference(args.Source);
            var reducer = new XLogXSum<TOps, TV, T>(args.Total);
            Rows<TOps, TV, T>.Reduce(in x, in x, args.Source.Length, ref reducer);
            args.Result = reducer.Sum.Total();
        }
    }

    private readonly struct MapKernel : IRowKernel<double, XLogXArgs<double>>
    {
        public static void Run<TOps, TV>(scoped ref XLogXArgs<double> args)
            where TOps : ISimd<TV, double>
            where TV : struct
        {
            ref double x = ref MemoryMarshal.GetReference(args.Destination);
            Rows<TOps, TV, double>.Map(in x, ref x, args.Destination.Length, new XLogX<TOps, TV, double>(1.0));
        }
    }
}

/// <summary>
/// Samples in ascending order of a numeric feature, as the threshold scan reads them: position i has a key (the feature
/// value), a class label and a weight. Implementations are small structs the scan inlines.
/// </summary>
internal interface ISortedSamples<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    int Count { get; }

    T Key(int position);

    int Label(int position);

    double Weight(int position);
}

/// <summary>The outcome of a threshold scan: the last position of the best left side (−1 if none) and the gain in nats.</summary>
internal readonly record struct ScanResult(int LastLeft, double GainNats);

/// <summary>
/// The best split x ≤ t of samples sorted by x, in one pass. Moving a sample of class k (weight w) from the right to the
/// left side changes Σ c ln c of each side in one term only, so the children's weighted entropy
/// W·H = (W_L ln W_L − Σ_k L_k ln L_k) + (W_R ln W_R − Σ_k R_k ln R_k) is kept up to date incrementally. The four
/// x ln x per sample are evaluated a block at a time with the vector log, which is what makes the scan cheap next to the
/// sort.
/// </summary>
internal static class ThresholdScan
{
    private const int Block = 256;

    /// <summary>The scratch a scan needs: class totals, left counts and the two sides' c ln c, per class.</summary>
    public static long ScratchLength(int classCount) => 4L * classCount;

    public static ScanResult Run<T, TSamples>(scoped ref TSamples samples, int classCount, Span<double> scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSamples : ISortedSamples<T>, allows ref struct
    {
        int n = samples.Count;
        Span<double> total = scratch[..classCount];
        Span<double> left = scratch.Slice(classCount, classCount);
        Span<double> leftXLogX = scratch.Slice(2 * classCount, classCount);
        Span<double> rightXLogX = scratch.Slice(3 * classCount, classCount);
        scratch[..(4 * classCount)].Clear();

        double weight = 0;
        for (int i = 0; i < n; i++)
        {
            double w = samples.Weight(i);
            total[samples.Label(i)] += w;
            weight += w;
        }
        if (n < 2 || weight <= 0)
        {
            return new ScanResult(-1, 0);
        }
        double parent = -InformationKernels.SumXLogX<double>(total, weight);

        total.CopyTo(rightXLogX);
        InformationKernels.MapXLogX(rightXLogX);
        double leftSum = 0;
        double rightSum = 0;
        foreach (double v in rightXLogX)
        {
            rightSum += v;
        }

        Span<double> buffer = stackalloc double[4 * Block];
        double leftWeight = 0;
        double best = double.PositiveInfinity;
        int bestPosition = -1;
        for (int start = 0; start < n - 1; start += Block)
        {
            int m = Math.Min(Block, n - 1 - start);
            Span<double> newLeft = buffer[..m];
            Span<double> newRight = buffer.Slice(m, m);
            Span<double> sideLeft = buffer.Slice(2 * m, m);
            Span<double> sideRight = buffer.Slice(3 * m, m);
            for (int j = 0; j < m; j++)
            {
                int k = samples.Label(start + j);
                double w = samples.Weight(start + j);
                double l = left[k] + w;
                left[k] = l;
                newLeft[j] = l;
                newRight[j] = Math.Max(total[k] - l, 0);
                leftWeight += w;
                sideLeft[j] = leftWeight;
                sideRight[j] = Math.Max(weight - leftWeight, 0);
            }
            InformationKernels.MapXLogX(buffer[..(4 * m)]);
            for (int j = 0; j < m; j++)
            {
                int i = start + j;
                int k = samples.Label(i);
                leftSum += newLeft[j] - leftXLogX[k];
                leftXLogX[k] = newLeft[j];
                rightSum += newRight[j] - rightXLogX[k];
                rightXLogX[k] = newRight[j];
                if (samples.Key(i) < samples.Key(i + 1))
                {
                    double children = sideLeft[j] - leftSum + (sideRight[j] - rightSum);
                    if (children < best)
                    {
                        best = children;
                        bestPosition = i;
                    }
                }
            }
        }
        return bestPosition < 0 ? new ScanResult(-1, 0) : new ScanResult(bestPosition, Math.Clamp(parent - best / weight, 0, parent));
    }
}
