using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// An elementwise loss ℓ(x, y) with its derivative ∂ℓ/∂x, written once for every vector width. <c>p</c> is a per-class
/// parameter vector (posWeight; 1 when absent) and <c>parameters</c> the loss's scalar options.
/// </summary>
internal interface IPointLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct;
}

/// <summary>The scalar options of an elementwise loss (delta, beta, alpha, gamma, logTarget as 0/1).</summary>
internal struct PointParameters<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T First;
    public T Second;
}

/// <summary>
/// The job of an elementwise loss over a flat span cut into blocks of <see cref="BlockLength"/> elements (a whole number
/// of rows when a per-class vector is given, <see cref="PerClass"/> then being that vector repeated, so that it lines up
/// with each block). The last block may be shorter; it then runs
/// one lane at a time so that no vector reaches back into a block already written (which would break in-place use).
/// </summary>
internal unsafe struct PointJob<T, TLoss> : IRowRangeJob, IRowKernel<T, RangeArgs<PointJob<T, TLoss>>>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TLoss : IPointLoss<T>
{
    public T* Input;
    public T* Target;
    public T* Weight;
    public T* PerClass;
    public T* Gradient;
    public T* Losses;
    public int Length;
    public int BlockLength;
    public T Scale;
    public PointParameters<T> Parameters;

    /// <summary>Blocks of at most this many elements when no per-class vector fixes the block length.</summary>
    public const int DefaultBlock = 4096;

    /// <summary>A per-class vector shorter than this is repeated to fill blocks of up to this many elements.</summary>
    public const int TileLength = 1024;

    public readonly int Blocks => Length == 0 ? 0 : ((Length - 1) / BlockLength) + 1;

    public CompensatedSum Run(int start, int end)
    {
        var args = new RangeArgs<PointJob<T, TLoss>> { Job = this, Start = start, End = end };
        Dispatch.Run<T, PointJob<T, TLoss>, RangeArgs<PointJob<T, TLoss>>>(BlockLength, ref args);
        return args.Total;
    }

    public static void Run<TOps, TV>(scoped ref RangeArgs<PointJob<T, TLoss>> args)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        ref readonly PointJob<T, TLoss> job = ref args.Job;
        var total = new CompensatedSum();
        for (int block = args.Start; block < args.End; block++)
        {
            int start = block * job.BlockLength;
            int length = Math.Min(job.BlockLength, job.Length - start);
            T sum = length >= TOps.Count ? Block<TOps, TV>(in job, start, length) : Block<Scalar<T>, T>(in job, start, length);
            total.Add(double.CreateTruncating(sum));
        }
        args.Total = total;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Block<TOps, TV>(in PointJob<T, TLoss> job, int start, int length)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        ref T x = ref Unsafe.AsRef<T>(job.Input + start);
        ref T y = ref Unsafe.AsRef<T>(job.Target + start);
        ref T w = ref Unsafe.AsRef<T>(job.Weight + start);
        ref T p = ref Unsafe.AsRef<T>(job.PerClass);
        ref T g = ref Unsafe.AsRef<T>(job.Gradient + start);
        ref T l = ref Unsafe.AsRef<T>(job.Losses + start);
        bool weighted = job.Weight != null;
        bool perClass = job.PerClass != null;
        bool gradient = job.Gradient != null;
        bool losses = job.Losses != null;
        TV one = TOps.Create(T.One);
        TV scale = TOps.Create(job.Scale);
        var sum = new LaneSum<TOps, TV, T>();
        nuint last = n - count;

        // The last, overlapping vector's inputs are read before anything is stored (the gradient may be the input); it
        // then goes through the same body as the others, with the lanes already counted masked out of the sum.
        TV lastX = TOps.Load(in x, last);
        TV lastY = TOps.Load(in y, last);
        TV lastW = weighted ? TOps.Load(in w, last) : one;
        nuint i = 0;
        while (true)
        {
            bool final = i >= last;
            nuint at = final ? last : i;
            TV loss = TLoss.Loss<TOps, TV>(in job.Parameters, final ? lastX : TOps.Load(in x, at), final ? lastY : TOps.Load(in y, at),
                perClass ? TOps.Load(in p, at) : one, out TV d);
            if (weighted)
            {
                TV wi = final ? lastW : TOps.Load(in w, at);
                loss = TOps.Multiply(loss, wi);
                d = TOps.Multiply(d, wi);
            }
            if (gradient)
            {
                TOps.Store(TOps.Multiply(d, scale), ref g, at);
            }
            if (losses)
            {
                TOps.Store(loss, ref l, at);
            }
            if (final)
            {
                TV keep = TOps.GreaterThanOrEqual(TOps.Indices, TOps.Create(T.CreateTruncating(i - last)));
                sum.Add(TOps.Select(keep, loss, default));
                break;
            }
            sum.Add(loss);
            i += count;
        }
        return sum.Total();
    }
}

/// <summary>Runs an elementwise loss: validation of the common arguments, pinning, chunking and the reduction.</summary>
internal static class PointLoss
{
    public static unsafe T Run<T, TLoss>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> gradient, Reduction reduction, Span<T> losses,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> perClass, PointParameters<T> parameters, int batchRows, int maxDegreeOfParallelism,
        string inputName, string targetName)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLoss : IPointLoss<T>
    {
        int n = input.Length;
        Guard.SameLength(n, target.Length, targetName, inputName);
        Chunks.CheckParallelism(maxDegreeOfParallelism);
        if (!weight.IsEmpty)
        {
            Guard.SameLength(n, weight.Length, "weight", inputName);
        }
        if (!gradient.IsEmpty)
        {
            Guard.DestinationLength(n, gradient.Length, nameof(gradient));
            Guard.NoPartialOverlap<T>(input, gradient, inputName, nameof(gradient));
            Guard.NoPartialOverlap<T>(target, gradient, targetName, nameof(gradient));
        }
        if (reduction == Reduction.None)
        {
            Guard.DestinationLength(n, losses.Length, nameof(losses));
            if (input.Overlaps(losses) || target.Overlaps(losses) || (!gradient.IsEmpty && ((ReadOnlySpan<T>)gradient).Overlaps(losses)))
            {
                throw new ArgumentException("losses must not overlap the inputs or the gradient.", nameof(losses));
            }
        }
        double divisor = reduction switch
        {
            Reduction.Mean => n,
            Reduction.BatchMean => batchRows,
            _ => 1,
        };

        // A short per-class vector (posWeight of a few classes) is tiled over whole rows up to TileLength elements, so that
        // blocks hold many rows and run the vector body (a block of one short row would run one lane at a time).
        int blockLength = perClass.IsEmpty ? Math.Max(1, Math.Min(n, PointJob<T, TLoss>.DefaultBlock)) : perClass.Length;
        scoped ReadOnlySpan<T> classes = perClass;
        Span<T> tile = stackalloc T[perClass.IsEmpty || perClass.Length >= PointJob<T, TLoss>.TileLength ? 0 : PointJob<T, TLoss>.TileLength];
        if (!tile.IsEmpty)
        {
            blockLength = perClass.Length * (PointJob<T, TLoss>.TileLength / perClass.Length);
            for (int at = 0; at < blockLength; at += perClass.Length)
            {
                perClass.CopyTo(tile[at..]);
            }
            classes = tile[..blockLength];
        }

        fixed (T* x = input)
        fixed (T* y = target)
        fixed (T* w = weight)
        fixed (T* p = classes)
        fixed (T* g = gradient)
        fixed (T* l = losses)
        {
            var job = new PointJob<T, TLoss>
            {
                Input = x,
                Target = y,
                Weight = weight.IsEmpty ? null : w,
                PerClass = perClass.IsEmpty ? null : p,
                Gradient = gradient.IsEmpty ? null : g,
                Losses = reduction == Reduction.None ? l : null,
                Length = n,
                BlockLength = blockLength,
                Scale = T.CreateTruncating(1.0 / divisor),
                Parameters = parameters,
            };
            double total = Chunks.Sum(job, job.Blocks, job.BlockLength, maxDegreeOfParallelism);
            return T.CreateTruncating(total / divisor);
        }
    }

    public static void CheckReduction(Reduction reduction, bool batchMean = false)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum) && !(batchMean && reduction == Reduction.BatchMean))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, batchMean
                ? "Supported reductions: None, Mean, Sum and BatchMean."
                : "Supported reductions: None, Mean and Sum.");
        }
    }
}

/// <summary>The elementwise losses.</summary>
internal static class PointLosses<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>σ(x) and σ(−x), both accurate (never 1 − σ).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sigmoids<TOps, TV>(TV x, out TV positive, out TV negative, out TV e)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV one = TOps.Create(T.One);
        e = VectorMath<TOps, TV, T>.Exp(TOps.Subtract(default, TOps.Abs(x)));
        TV inverse = TOps.Divide(one, TOps.Add(one, e));
        TV small = TOps.Multiply(e, inverse);
        TV nonNegative = TOps.GreaterThanOrEqual(x, default);
        positive = TOps.Select(nonNegative, inverse, small);
        negative = TOps.Select(nonNegative, small, inverse);
    }

    /// <summary>(y − 1)·max(log(1 − x), −100) − y·max(log x, −100) (PyTorch's order); derivative (x − y)/max(x(1 − x), 1e-12), as PyTorch.</summary>
    public readonly struct Probabilities : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            TV one = TOps.Create(T.One);
            TV floor = TOps.Create(T.CreateTruncating(-100));
            TV complement = TOps.Subtract(one, x);
            TV logX = TOps.MaxFast(VectorMath<TOps, TV, T>.Log(x), floor);
            TV logComplement = TOps.MaxFast(VectorMath<TOps, TV, T>.Log(complement), floor);
            // PyTorch's (y − 1)·log(1 − x) − y·log x: for y = 1 the first product is exactly 0, so a loss near 0 (x near 1)
            // keeps its digits, which y·(log x − log(1 − x)) + log(1 − x) would cancel away.
            TV loss = TOps.Subtract(TOps.Multiply(TOps.Subtract(y, one), logComplement), TOps.Multiply(y, logX));
            derivative = TOps.Divide(TOps.Subtract(x, y), TOps.MaxFast(TOps.Multiply(x, complement), TOps.Create(T.CreateTruncating(1e-12f))));
            return loss;
        }
    }

    /// <summary>
    /// (1 − y)·x + (1 + (pw − 1)·y)·softplus(−x) written as a sum of non-negative terms (pw ≥ 0, y ∈ [0, 1]):
    /// Linear + (1 + (pw − 1)·y)·log1p(e^−|x|); derivative (1 − y)·σ(x) − pw·y·σ(−x), which for y ∈ {0, 1} is one term.
    /// </summary>
    public readonly struct Logits : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            TV one = TOps.Create(T.One);
            TV logWeight = TOps.MultiplyAdd(TOps.Subtract(p, one), y, one);
            // log1p(e^−|x|) shares the sigmoid's e^−|x|, so one exp per element.
            Sigmoids<TOps, TV>(x, out TV sigmoid, out TV complement, out TV e);
            TV positiveWeight = TOps.Multiply(p, y);
            TV oneMinusY = TOps.Subtract(one, y);
            derivative = TOps.Subtract(TOps.Multiply(oneMinusY, sigmoid), TOps.Multiply(positiveWeight, complement));
            return TOps.MultiplyAdd(logWeight, VectorMath<TOps, TV, T>.Log1P(e), Linear<TOps, TV>(x, oneMinusY, positiveWeight));
        }
    }

    /// <summary>
    /// The part of the BCE with logits that is linear in x: (1 − y)·x for x ≥ 0 and −pw·y·x for x &lt; 0 (both ≥ 0), from
    /// (1 − y)·x + (1 + (pw − 1)·y)·max(−x, 0) without the cancellation of two |x|-sized terms. A zero factor gives 0
    /// even for x = ±∞ (a confident right answer costs nothing); NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Linear<TOps, TV>(TV x, TV oneMinusY, TV positiveWeight)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        TV factor = TOps.Select(TOps.GreaterThanOrEqual(x, default), oneMinusY, TOps.Subtract(default, positiveWeight));
        return TOps.Select(TOps.Equal(factor, default), TOps.Select(TOps.Equal(x, x), default, x), TOps.Multiply(factor, x));
    }

    /// <summary>(x − y)²; derivative 2(x − y).</summary>
    public readonly struct Squared : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            TV d = TOps.Subtract(x, y);
            derivative = TOps.Add(d, d);
            return TOps.Multiply(d, d);
        }
    }

    /// <summary>Huber (First = δ): ½d² for |d| &lt; δ, else δ(|d| − ½δ); derivative clamp(d, −δ, δ).</summary>
    public readonly struct Huber : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            TV delta = TOps.Create(parameters.First);
            TV half = TOps.Create(T.CreateTruncating(0.5));
            TV d = TOps.Subtract(x, y);
            TV z = TOps.Abs(d);
            TV inside = TOps.LessThan(z, delta);
            derivative = TOps.Select(inside, d, TOps.Select(TOps.LessThan(d, default), TOps.Subtract(default, delta), delta));
            derivative = TOps.Select(TOps.Equal(d, d), derivative, d);
            return TOps.Select(inside, TOps.Multiply(half, TOps.Multiply(d, d)), TOps.Multiply(delta, TOps.Subtract(z, TOps.Multiply(half, delta))));
        }
    }

    /// <summary>Smooth L1 (First = β): ½d²/β for |d| &lt; β, else |d| − ½β; derivative d/β or sign(d).</summary>
    public readonly struct SmoothL1 : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            TV beta = TOps.Create(parameters.First);
            TV one = TOps.Create(T.One);
            TV half = TOps.Create(T.CreateTruncating(0.5));
            TV d = TOps.Subtract(x, y);
            TV z = TOps.Abs(d);
            TV inside = TOps.LessThan(z, beta);
            TV sign = TOps.Select(TOps.LessThan(d, default), TOps.Subtract(default, one), TOps.Select(TOps.Equal(d, default), default, one));
            derivative = TOps.Select(inside, TOps.Divide(d, beta), sign);
            derivative = TOps.Select(TOps.Equal(d, d), derivative, d);
            return TOps.Select(inside, TOps.Divide(TOps.Multiply(half, TOps.Multiply(d, d)), beta), TOps.Subtract(z, TOps.Multiply(half, beta)));
        }
    }

    /// <summary>kl_div (First = 1 for logTarget): y·log y − y·x (0·log 0 = 0), or exp(y)·(y − x); derivative −y or −exp(y).</summary>
    public readonly struct KLDiv : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            if (parameters.First != T.Zero)
            {
                TV target = VectorMath<TOps, TV, T>.Exp(y);
                derivative = TOps.Subtract(default, target);
                return TOps.Multiply(target, TOps.Subtract(y, x));
            }
            TV yLogY = TOps.Select(TOps.Equal(y, default), default, TOps.Multiply(y, VectorMath<TOps, TV, T>.Log(y)));
            derivative = TOps.Subtract(default, y);
            return TOps.Subtract(yLogY, TOps.Multiply(y, x));
        }
    }

    /// <summary>
    /// Sigmoid focal loss (First = α, negative for none; Second = γ): α_t·ce·mᵞ with ce the BCE with logits, m = 1 − p_t =
    /// y·σ(−x) + (1 − y)·σ(x) and α_t = α·y + (1 − α)(1 − y); derivative α_t·((σ(x) − y)·mᵞ + ce·γ·mᵞ⁻¹·(1 − 2y)·σ(x)σ(−x)),
    /// with ce and σ(x) − y = (1 − y)·σ(x) − y·σ(−x) in the cancellation-free forms of <see cref="Logits"/>.
    /// </summary>
    public readonly struct Focal : IPointLoss<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Loss<TOps, TV>(in PointParameters<T> parameters, TV x, TV y, TV p, out TV derivative)
            where TOps : ISimd<TV, T>
            where TV : struct
        {
            TV one = TOps.Create(T.One);
            Sigmoids<TOps, TV>(x, out TV sigmoid, out TV complement, out TV e);
            TV oneMinusY = TOps.Subtract(one, y);
            TV ce = TOps.Add(Linear<TOps, TV>(x, oneMinusY, y), VectorMath<TOps, TV, T>.Log1P(e));
            TV m = TOps.MultiplyAdd(y, complement, TOps.Multiply(oneMinusY, sigmoid));
            T gamma = parameters.Second;
            TV power;
            TV powerOverM;
            if (gamma == T.Zero)
            {
                power = one;
                powerOverM = default;
            }
            else
            {
                power = VectorMath<TOps, TV, T>.Exp(TOps.Multiply(TOps.Create(gamma), VectorMath<TOps, TV, T>.Log(m)));
                powerOverM = TOps.Select(TOps.LessThan(default, m), TOps.Multiply(TOps.Create(gamma), TOps.Divide(power, m)), default);
            }
            TV slope = TOps.Multiply(TOps.Subtract(oneMinusY, y), TOps.Multiply(sigmoid, complement));
            TV loss = TOps.Multiply(ce, power);
            TV residual = TOps.Subtract(TOps.Multiply(oneMinusY, sigmoid), TOps.Multiply(y, complement));
            derivative = TOps.MultiplyAdd(residual, power, TOps.Multiply(TOps.Multiply(ce, powerOverM), slope));
            T alpha = parameters.First;
            if (alpha >= T.Zero)
            {
                TV a = TOps.Create(alpha);
                TV alphaT = TOps.MultiplyAdd(a, y, TOps.Multiply(TOps.Subtract(one, a), oneMinusY));
                loss = TOps.Multiply(loss, alphaT);
                derivative = TOps.Multiply(derivative, alphaT);
            }
            return loss;
        }
    }
}
