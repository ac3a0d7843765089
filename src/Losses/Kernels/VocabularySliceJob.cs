using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>What a <see cref="VocabularySliceJob{T, TIn, TOut}"/> computes for each row of its slice.</summary>
internal enum SliceMode
{
    /// <summary>The row's <see cref="VocabularyPartial"/> over the slice.</summary>
    Statistics,

    /// <summary>Cross-entropy (+ z-loss): losses and totals, and the gradient when one is given.</summary>
    CrossEntropy,

    /// <summary>Token log-probability and entropy, and the gradient for upstream gradients when one is given.</summary>
    Token,
}

/// <summary>
/// The batch loop of the vocabulary-slice ops: for rows [0, Rows) of a slice [Offset, Offset + Width) (rows
/// <see cref="Stride"/> elements apart), gets each row's partial (computed here, or read from <see cref="Partials"/>
/// combined over the whole vocabulary), then writes what <see cref="Mode"/> asks for. The row math is in
/// <see cref="VocabularySliceRow{TOps, TV, T}"/>.
/// </summary>
internal unsafe struct VocabularySliceJob<T, TIn, TOut> : IRowKernel<T, VocabularySliceJob<T, TIn, TOut>>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TIn : unmanaged
    where TOut : unmanaged
{
    public SliceMode Mode;
    public TIn* Logits;
    public nint Stride;
    public int Width;
    public int Offset;
    public int Rows;

    /// <summary>Targets (one of the two), or null to read them from <see cref="Partials"/>.</summary>
    public int* Targets32;
    public long* Targets64;
    public long IgnoreIndex;

    /// <summary>Class weights of the whole vocabulary, or null.</summary>
    public T* Weight;
    public double SliceWeightSum;

    /// <summary>c of the soft-cap; +∞ for none.</summary>
    public T SoftCap;

    /// <summary>Written (Statistics) or read (the others, when non-null: then the rows' partials are not recomputed).</summary>
    public VocabularyPartial* Partials;

    public TOut* Gradient;
    public nint GradientStride;

    // Cross-entropy: (1 − ε), ε/C, λ, and the Mean factors of the cross-entropy and z-loss parts.
    public double Keep;
    public double Uniform;
    public double ZLoss;
    public double Scale;
    public double ZScale;
    public T* Losses;
    public CompensatedSum CrossEntropyTotal;
    public CompensatedSum ZLossTotal;

    // Token: outputs and upstream gradients.
    public T* LogProbabilities;
    public T* Entropy;
    public T* LogProbabilityGradient;
    public T* EntropyGradient;

    public static void Run<TOps, TV>(scoped ref VocabularySliceJob<T, TIn, TOut> job)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        if (T.IsFinite(job.SoftCap))
        {
            WithCap<TOps, TV, TanhCap<TOps, TV, T>>(ref job, new TanhCap<TOps, TV, T>(job.SoftCap));
        }
        else
        {
            WithCap<TOps, TV, NoCap<TV>>(ref job, default);
        }
    }

    private static void WithCap<TOps, TV, TCap>(scoped ref VocabularySliceJob<T, TIn, TOut> job, TCap cap)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
    {
        if (job.Weight != null)
        {
            EachRow<TOps, TV, TCap, ColumnWeights<TOps, TV, T>>(ref job, cap, new ColumnWeights<TOps, TV, T>(job.Weight + job.Offset));
        }
        else
        {
            EachRow<TOps, TV, TCap, NoWeights<TV>>(ref job, cap, default);
        }
    }

    private static void EachRow<TOps, TV, TCap, TWeights>(scoped ref VocabularySliceJob<T, TIn, TOut> job, TCap cap, TWeights weights)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        bool recompute = job.Mode == SliceMode.Statistics || job.Partials == null;
        for (int row = 0; row < job.Rows; row++)
        {
            ref TIn x = ref Unsafe.AsRef<TIn>(job.Logits + (row * job.Stride));
            VocabularyPartial partial = recompute ? Partial<TOps, TV, TCap, TWeights>(in job, in x, row, cap, weights) : job.Partials[row];
            switch (job.Mode)
            {
                case SliceMode.Statistics:
                    job.Partials[row] = partial;
                    break;
                case SliceMode.CrossEntropy:
                    CrossEntropyRow<TOps, TV, TCap, TWeights>(ref job, in x, row, in partial, cap, weights);
                    break;
                default:
                    TokenRow<TOps, TV, TCap>(ref job, in x, row, in partial, cap);
                    break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static VocabularyPartial Partial<TOps, TV, TCap, TWeights>(in VocabularySliceJob<T, TIn, TOut> job, ref readonly TIn x, int row, TCap cap, TWeights weights)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        long target = job.Targets32 != null ? job.Targets32[row] : job.Targets64[row];
        if (target == job.IgnoreIndex)
        {
            return new VocabularyPartial(0, 0, 0, 0, 0, 0, 0, target, job.Width, false, true);
        }
        var stats = VocabularySliceRow<TOps, TV, T>.Statistics(in x, job.Width, cap, weights);
        long local = target - job.Offset;
        bool found = (ulong)local < (ulong)job.Width;
        double targetLogit = found ? double.CreateTruncating(CapOne(job.SoftCap, Elements<Scalar<T>, T, T>.LoadOne(in x, (nuint)local))) : 0;
        double targetWeight = !found ? 0 : job.Weight != null ? double.CreateTruncating(job.Weight[target]) : 1;
        return new VocabularyPartial(double.CreateTruncating(stats.Shift), double.CreateTruncating(stats.SumOfExp), double.CreateTruncating(stats.Moment),
            double.CreateTruncating(stats.Shifted), job.SliceWeightSum, targetLogit, targetWeight, target, job.Width, found, false);
    }

    /// <summary>The capped value of one logit (the vector formula on one lane, so that it equals the row pass's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T CapOne(T softCap, T x) => T.IsFinite(softCap) ? new TanhCap<Scalar<T>, T, T>(softCap).Apply(x) : x;

    private static void CrossEntropyRow<TOps, TV, TCap, TWeights>(scoped ref VocabularySliceJob<T, TIn, TOut> job, ref readonly TIn x, int row, in VocabularyPartial p,
        TCap cap, TWeights weights)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
        where TWeights : struct, IColumnWeights<TV>
    {
        var (crossEntropy, zLoss) = SliceLoss.Row(in p, job.Keep, job.Uniform, job.ZLoss);
        if (job.Losses != null)
        {
            job.Losses[row] = T.CreateTruncating(crossEntropy + zLoss);
        }
        job.CrossEntropyTotal.Add(crossEntropy);
        job.ZLossTotal.Add(zLoss);
        if (job.Gradient == null)
        {
            return;
        }
        ref TOut g = ref Unsafe.AsRef<TOut>(job.Gradient + (row * job.GradientStride));
        if (p.Ignored)
        {
            new Span<TOut>(Unsafe.AsPointer(ref g), job.Width).Clear();
            return;
        }
        double logSum = Math.Log(p.SumOfExp);
        double a = job.Keep * p.TargetWeight * job.Scale;
        double b = job.Uniform * job.Scale;
        double s = a + (b * p.WeightSum) + (job.ZLoss > 0 ? 2 * job.ZLoss * (p.Max + logSum) * job.ZScale : 0);
        VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, TWeights, Off>(in x, ref g, job.Width, cap, weights,
            T.CreateTruncating(p.Max), T.CreateTruncating(logSum), T.CreateTruncating(s / p.SumOfExp), T.Zero, T.CreateTruncating(b));
        AddAtTarget(in job, ref g, in p, -a);
    }

    private static void TokenRow<TOps, TV, TCap>(scoped ref VocabularySliceJob<T, TIn, TOut> job, ref readonly TIn x, int row, in VocabularyPartial p, TCap cap)
        where TOps : ISimd<TV, T>
        where TV : struct
        where TCap : struct, ISoftCap<TV>
    {
        var (logProbability, entropy) = SliceLoss.Token(in p);
        if (job.LogProbabilities != null)
        {
            job.LogProbabilities[row] = T.CreateTruncating(logProbability);
        }
        if (job.Entropy != null)
        {
            job.Entropy[row] = T.CreateTruncating(entropy);
        }
        if (job.Gradient == null)
        {
            return;
        }
        ref TOut g = ref Unsafe.AsRef<TOut>(job.Gradient + (row * job.GradientStride));
        if (p.Ignored)
        {
            new Span<TOut>(Unsafe.AsPointer(ref g), job.Width).Clear();
            return;
        }
        double alpha = job.LogProbabilityGradient != null ? double.CreateTruncating(job.LogProbabilityGradient[row]) : 0;
        double beta = job.EntropyGradient != null ? double.CreateTruncating(job.EntropyGradient[row]) : 0;
        double logSum = Math.Log(p.SumOfExp);

        // ∂(α·log p_t + β·H)/∂x̃_j = α·[j = t] − p_j·(α + β·H + β·log p_j).
        T shift = T.CreateTruncating(p.Max);
        T scale = T.CreateTruncating(-(alpha + (beta * entropy)) / p.SumOfExp);
        if (beta != 0)
        {
            VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, NoWeights<TV>, On>(in x, ref g, job.Width, cap, default,
                shift, T.CreateTruncating(logSum), scale, T.CreateTruncating(-beta / p.SumOfExp), T.Zero);
        }
        else
        {
            VocabularySliceRow<TOps, TV, T>.Gradient<TIn, TOut, TCap, NoWeights<TV>, Off>(in x, ref g, job.Width, cap, default,
                shift, T.CreateTruncating(logSum), scale, T.Zero, T.Zero);
        }
        AddAtTarget(in job, ref g, in p, alpha);
    }

    /// <summary>
    /// g[t] += amount·cap′(x_t) when the target is in the slice, after the row pass (which may have written over the
    /// logits: the derivative 1 − tanh²(x_t/c) = 1 − (x̃_t/c)² comes from the partial's capped target logit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddAtTarget(in VocabularySliceJob<T, TIn, TOut> job, ref TOut g, in VocabularyPartial p, double amount)
    {
        long local = p.Target - job.Offset;
        if ((ulong)local >= (ulong)job.Width)
        {
            return;
        }
        if (T.IsFinite(job.SoftCap))
        {
            double ratio = p.TargetLogit / double.CreateTruncating(job.SoftCap);
            amount *= double.IsNegativeInfinity(p.TargetLogit) ? 0 : 1 - (ratio * ratio);
        }
        ref TOut slot = ref Unsafe.Add(ref g, (nint)local);
        T value = Elements<Scalar<T>, T, T>.LoadOne(in slot, 0) + T.CreateTruncating(amount);
        Elements<Scalar<T>, T, T>.Store(value, ref slot, 0);
    }
}

/// <summary>Per-row values from a complete partial (every column covered).</summary>
internal static class SliceLoss
{
    /// <summary>The row's cross-entropy (weighted, smoothed) and z-loss; zeros for an ignored row.</summary>
    public static (double CrossEntropy, double ZLoss) Row(in VocabularyPartial p, double keep, double uniform, double zLoss)
    {
        if (p.Ignored)
        {
            return (0, 0);
        }
        double logSum = Math.Log(p.SumOfExp);
        // (M − x_t) + log S never cancels.
        double loss = p.TargetWeight * ((p.Max - p.TargetLogit) + logSum);
        if (uniform != 0)
        {
            loss = (keep * loss) + (uniform * (p.ShiftedSum + (p.WeightSum * logSum)));
        }
        double logZ = p.Max + logSum;
        return (loss, zLoss != 0 ? zLoss * logZ * logZ : 0);
    }

    /// <summary>log softmax(x̃)[t] = (x̃_t − M) − log S and the entropy log S − E/S; zeros for an ignored row.</summary>
    public static (double LogProbability, double Entropy) Token(in VocabularyPartial p)
    {
        if (p.Ignored)
        {
            return (0, 0);
        }
        double logSum = Math.Log(p.SumOfExp);
        return ((p.TargetLogit - p.Max) - logSum, logSum - (p.ExpMoment / p.SumOfExp));
    }
}
