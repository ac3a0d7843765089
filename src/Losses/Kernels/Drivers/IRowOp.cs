using System.Numerics;

namespace Losses.Kernels;

/// <summary>
/// A row operation: what one public batched function computes for one row of a row-major batch, and nothing else.
/// Its fields are the call's named inputs, outputs and options (pinned pointers, so that the same op can run on several
/// threads); <see cref="RowDriver"/> owns everything around it: the vector width, the rows-in-lanes block path, chunks
/// and threads, the per-row values and their total.
/// </summary>
/// <remarks>
/// An op reads its inputs and writes its outputs for the rows it is given only. An output that is exactly an input (in
/// place) must give bitwise the out-of-place result: load what a row needs before storing into it (the row loops of
/// <see cref="Rows{TOps, TV, T}"/> already do). Any other overlap is rejected by <see cref="Guard"/> before an op runs.
/// </remarks>
internal interface IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Row <paramref name="row"/> with vectors of at most the row's length: writes the row's outputs and returns its value
    /// (a loss or a measure; zero for an op without one), which the driver stores and totals.
    /// </summary>
    T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct;

    /// <summary>True when the op has a <see cref="Block"/> body, the rows-in-lanes path for rows of at most <see cref="RowDriver.BlockMaxClasses"/>.</summary>
    static virtual bool HasBlock => false;

    /// <summary>
    /// Rows [<paramref name="row"/>, <paramref name="row"/> + Count) at once, one row per lane: load inputs with
    /// <see cref="Tile{T, TOps, TBlock, TV}.Load(Span{TV}, int, T*, int, int)"/> (one vector per class), compute with plain vertical operations, write
    /// outputs with <see cref="Tile{T, TOps, TBlock, TV}.Store"/>; returns the rows' values, one per lane.
    /// <paramref name="scratch"/> holds <see cref="RowDriver.BlockTiles"/> tiles of <see cref="RowDriver.TileLength"/> vectors.
    /// </summary>
    TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct => throw new NotSupportedException();
}

/// <summary>Row addressing for ops: row <c>row</c> of a row-major batch of rows of <c>c</c> elements.</summary>
internal static unsafe class Batch<T>
    where T : unmanaged
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static ref T Row(T* batch, int row, int c) => ref System.Runtime.CompilerServices.Unsafe.AsRef<T>(batch + ((nint)row * c));
}

/// <summary>
/// A row operation that can be built on pinned spans, so that a public function hands it to <see cref="Batch.Run"/>
/// instead of pinning and driving it itself.
/// </summary>
internal unsafe interface IPinnedOp<T, TSelf> : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TSelf : struct, IPinnedOp<T, TSelf>
{
    /// <summary>This op's options on up to three pinned rows × <paramref name="classCount"/> spans, in the op's order (null where unused).</summary>
    TSelf On(T* first, T* second, T* third, int classCount);
}
