using System.Numerics;
using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>
/// An elementwise loss ℓ(x, y) with its derivative ∂ℓ/∂x, written once for every vector width. <c>p</c> is a per-class
/// parameter vector (posWeight; 1 when absent); the loss's scalar options are the struct's fields.
/// </summary>
internal interface IElementwiseLoss<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    TV Loss<TOps, TV>(TV x, TV y, TV p, out TV derivative)
        where TOps : ISimd<TV, T>
        where TV : struct;
}

/// <summary>
/// The row op of every elementwise loss: the flat input is cut into "rows" of <see cref="BlockLength"/> elements (a
/// whole number of classes when a per-class vector is given, <see cref="PerClass"/> then being that vector repeated, so
/// that it lines up with each row) and run by <see cref="RowDriver"/>
/// like any other op. The last row may be shorter than a vector; it then runs one lane at a time, so that no vector
/// reaches back into a row already written (which would break in-place use).
/// </summary>
internal readonly unsafe struct ElementwiseOp<T, TLoss> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TLoss : struct, IElementwiseLoss<T>
{
    /// <summary>Rows of at most this many elements when no per-class vector fixes the row length.</summary>
    public const int DefaultBlock = 4096;

    /// <summary>A per-class vector shorter than this is repeated to fill rows of up to this many elements.</summary>
    public const int TileLength = 1024;

    public T* Input { get; init; }
    public T* Target { get; init; }

    /// <summary>One weight per element, or null.</summary>
    public T* Weight { get; init; }

    /// <summary>One value per class (posWeight), or null.</summary>
    public T* PerClass { get; init; }

    public T* Gradient { get; init; }
    public T* Losses { get; init; }
    public int Length { get; init; }
    public int BlockLength { get; init; }
    public T GradientScale { get; init; }
    public TLoss Loss { get; init; }

    /// <summary>The number of rows of <see cref="BlockLength"/>.</summary>
    public int Blocks => Length == 0 ? 0 : ((Length - 1) / BlockLength) + 1;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int start = row * BlockLength;
        int length = Math.Min(BlockLength, Length - start);
        return length >= TOps.Count ? Span<TOps, TV>(start, length) : Span<Scalar<T>, T>(start, length);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private T Span<TOps, TV>(int start, int length)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        nuint count = (nuint)TOps.Count;
        nuint n = (nuint)length;
        ref T x = ref Unsafe.AsRef<T>(Input + start);
        ref T y = ref Unsafe.AsRef<T>(Target + start);
        ref T w = ref Unsafe.AsRef<T>(Weight + start);
        ref T p = ref Unsafe.AsRef<T>(PerClass);
        ref T g = ref Unsafe.AsRef<T>(Gradient + start);
        ref T l = ref Unsafe.AsRef<T>(Losses + start);
        bool weighted = Weight != null;
        bool perClass = PerClass != null;
        bool gradient = Gradient != null;
        bool losses = Losses != null;
        TV one = TOps.Create(T.One);
        TV scale = TOps.Create(GradientScale);
        TLoss loss = Loss;
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
            TV value = loss.Loss<TOps, TV>(final ? lastX : TOps.Load(in x, at), final ? lastY : TOps.Load(in y, at),
                perClass ? TOps.Load(in p, at) : one, out TV d);
            if (weighted)
            {
                TV wi = final ? lastW : TOps.Load(in w, at);
                value = TOps.Multiply(value, wi);
                d = TOps.Multiply(d, wi);
            }
            if (gradient)
            {
                TOps.Store(TOps.Multiply(d, scale), ref g, at);
            }
            if (losses)
            {
                TOps.Store(value, ref l, at);
            }
            if (final)
            {
                sum.Add(TOps.Select(Rows<TOps, TV, T>.TailMask(i, last), value, default));
                break;
            }
            sum.Add(value);
            i += count;
        }
        return sum.Total();
    }
}

/// <summary>Every element of a span within [Lower, Upper] (NaN is not): the vectorized check behind the value guards.</summary>
internal readonly unsafe struct InRangeOp<T> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public T* Values { get; init; }
    public int Length { get; init; }
    public T Lower { get; init; }
    public T Upper { get; init; }

    /// <summary>True when every element of <paramref name="values"/> is in [<paramref name="lower"/>, <paramref name="upper"/>].</summary>
    public static bool All(ReadOnlySpan<T> values, T lower, T upper)
    {
        fixed (T* v = values)
        {
            var op = new InRangeOp<T> { Values = v, Length = values.Length, Lower = lower, Upper = upper };
            return RowDriver.Run<T, InRangeOp<T>>(in op, 1, values.Length, null, 1) == 1;
        }
    }

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var reducer = new DistributionTerms<TOps, TV, T>.InRange(Lower, Upper);
        Rows<TOps, TV, T>.Reduce(in *Values, in *Values, Length, ref reducer);
        return reducer.AllGood() ? T.One : T.Zero;
    }
}
