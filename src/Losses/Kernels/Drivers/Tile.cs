using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels;

/// <summary>
/// The rows-in-lanes layout of the block path: a block of B = Count rows of C classes (C ≤ 128) held as C vectors, vector k
/// holding class k of the B rows (lane j = row j). Loading is an in-register transpose of B × B pieces; storing is the
/// inverse transpose with masked stores, so it writes exactly the block's B·C elements (an output may be an input in
/// place, since a block body loads all its inputs before it stores).
/// </summary>
internal static unsafe class Tile<T, TOps, TBlock, TV>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TOps : ISimd<TV, T>
    where TBlock : IBlockOps<TV, T>
    where TV : struct
{
    /// <summary>
    /// Tile <paramref name="index"/> of a block body's scratch (stack memory, which does not move), started at the next
    /// 64-byte boundary: stackalloc aligns to 16 bytes only, and a tile whose vectors straddle cache lines splits every
    /// load and store of it and can defeat store-to-load forwarding (measured: 1.4× or 2.0× Exp at 4096 × 10 from one
    /// launch to the next, as the stack happened to fall). The tile's slack beyond 128 vectors absorbs the shift.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<TV> Of(Span<TV> scratch, int index)
    {
        nuint start = (nuint)Unsafe.AsPointer(ref scratch[index * RowDriver.TileLength]);
        nuint aligned = (start + 63) & ~(nuint)63;
        return new Span<TV>((void*)aligned, RowDriver.TileLength - 2);
    }

    /// <summary>Rows [row, row + B) of the row-major batch at <paramref name="batch"/> (rows of <paramref name="c"/>) into <paramref name="tile"/>[0..c).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(T* batch, int row, int c, Span<TV> tile)
    {
        T* x = batch + ((nint)row * c);
        for (int group = 0; group < c; group += TOps.Count)
        {
            TBlock.Transpose(x + group, c, ref tile[group], c - group);
        }
    }

    /// <summary>Tile <paramref name="index"/> of <paramref name="scratch"/> (<see cref="Of"/>) loaded with rows [row, row + B) of <paramref name="batch"/> (<see cref="Load(T*, int, int, Span{TV})"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<TV> Load(Span<TV> scratch, int index, T* batch, int row, int c)
    {
        Span<TV> tile = Of(scratch, index);
        Load(batch, row, c, tile);
        return tile;
    }

    /// <summary>Writes <paramref name="tile"/>[0..c) back as rows [row, row + B) of the batch at <paramref name="batch"/>, touching nothing else.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Store(Span<TV> tile, T* batch, int row, int c)
    {
        int b = TOps.Count;
        T* x = batch + ((nint)row * c);
        ref TV first = ref MemoryMarshal.GetReference(tile);
        for (int group = 0; group < c; group += b)
        {
            TBlock.StoreTransposed(ref Unsafe.Add(ref first, group), x + group, c, Math.Min(b, c - group));
        }
    }

    /// <summary>
    /// Per lane, Σ_k e^(tile[k] − max) over k &lt; c with the term exp (<see cref="VectorMath{TOps, TV, T}.ExpTermFlushed"/>): a
    /// normalizer whose exps are not kept, the same bits as the row path's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV SumOfExpTerms(Span<TV> tile, TV max, int c)
    {
        TV sum = default;
        for (int k = 0; k < c; k++)
        {
            sum = TOps.Add(sum, VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Subtract(tile[k], max)));
        }
        return sum;
    }

    /// <summary>
    /// Per lane j, tile[targets_j][j]: the target's column (targets as T, as <see cref="IBlockOps{TV, T}.LoadTargets"/>
    /// gives them); 0 where the target is not in [0, c), e.g. the ignore index.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AtTarget(Span<TV> tile, TV targets, int c)
    {
        TV one = TOps.Create(T.One);
        TV classIndex = default;
        TV atTarget = default;
        for (int k = 0; k < c; k++)
        {
            // classIndex = k in every lane, counted up (exact: k ≤ 128).
            atTarget = TOps.Select(TOps.Equal(targets, classIndex), tile[k], atTarget);
            classIndex = TOps.Add(classIndex, one);
        }
        return atTarget;
    }

    /// <summary>Per lane, the maximum of tile[0..c), at least MinValue (so that a fully masked row shifts by a finite amount); which NaN wins is unspecified.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Max(Span<TV> tile, int c)
    {
        TV max = TOps.Create(FloatLimits<T>.MinValue);
        for (int k = 0; k < c; k++)
        {
            max = TOps.MaxFast(max, tile[k]);
        }
        return max;
    }
    /// <summary>tile[k] = op(tile[k]) for k &lt; c: the block twin of <see cref="Rows{TOps, TV, T}.Map{TOp}(ref readonly T, ref T, int, TOp)"/> with the same operation struct.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<TOp>(Span<TV> tile, int c, TOp op)
        where TOp : struct, IUnaryOp<TV>
    {
        for (int k = 0; k < c; k++)
        {
            tile[k] = op.Invoke(tile[k]);
        }
    }

    /// <summary>a[k] = op(a[k], b[k]) for k &lt; c: the block twin of the two-input <see cref="Rows{TOps, TV, T}.Map{TOp}(ref readonly T, ref readonly T, ref T, int, TOp)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map<TOp>(Span<TV> a, Span<TV> b, int c, TOp op)
        where TOp : struct, IBinaryOp<TV>
    {
        for (int k = 0; k < c; k++)
        {
            a[k] = op.Invoke(a[k], b[k]);
        }
    }

    /// <summary>Per lane, Σ_k tile[k] over k &lt; c, in class order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sum(Span<TV> tile, int c)
    {
        TV sum = default;
        for (int k = 0; k < c; k++)
        {
            sum = TOps.Add(sum, tile[k]);
        }
        return sum;
    }

    /// <summary>Per lane, Σ_k a[k]·b[k] over k &lt; c, in class order (one multiply-add each).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Dot(Span<TV> a, Span<TV> b, int c)
    {
        TV dot = default;
        for (int k = 0; k < c; k++)
        {
            dot = TOps.MultiplyAdd(a[k], b[k], dot);
        }
        return dot;
    }

    /// <summary>
    /// tile[k] = e^(tile[k] − max) for k &lt; c (max ≥ every tile[k]: <see cref="VectorMath{TOps, TV, T}.ExpNonPositive"/>), and
    /// per lane their sum: softmax numerators kept in the tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV StoreExpShift(Span<TV> tile, TV max, int c)
    {
        TV sum = default;
        for (int k = 0; k < c; k++)
        {
            TV e = VectorMath<TOps, TV, T>.ExpNonPositive(TOps.Subtract(tile[k], max));
            tile[k] = e;
            sum = TOps.Add(sum, e);
        }
        return sum;
    }
}
