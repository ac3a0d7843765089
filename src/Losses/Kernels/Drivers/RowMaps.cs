using System.Numerics;

namespace Losses.Kernels;

/// <summary>
/// The math of a rows → rows function y = f(x) (softmax, log-softmax), nothing else: <see cref="RowMapOp{T, TMap}"/>
/// is the row op around it (the pointers, the tile loads and stores).
/// </summary>
internal interface IRowMap<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>y = f(x) for one row of <paramref name="c"/> elements; y may be x itself (load before store).</summary>
    static abstract void Row<TOps, TV>(ref readonly T x, ref T y, int c)
        where TOps : ISimd<TV, T>
        where TV : struct;

    /// <summary>The same for a block of rows in a tile (one vector per class, lane j = row j), in place.</summary>
    static abstract void Block<TOps, TBlock, TV>(Span<TV> x, int c)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct;
}

/// <summary>The row op of an <see cref="IRowMap{T}"/>: rows of <c>input</c> → rows of <c>output</c>, no value per row.</summary>
internal readonly unsafe struct RowMapOp<T, TMap>(T* input, T* output, int classCount) : IPinnedOp<T, RowMapOp<T, TMap>>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TMap : struct, IRowMap<T>
{
    public RowMapOp<T, TMap> On(T* first, T* second, T* third, int classCount) => new(first, second, classCount);

    private readonly T* _input = input;
    private readonly T* _output = output;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        TMap.Row<TOps, TV>(in Batch<T>.Row(_input, row, c), ref Batch<T>.Row(_output, row, c), c);
        return T.Zero;
    }

    public static bool HasBlock => true;

    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = _classCount;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, _input, row, c);
        TMap.Block<TOps, TBlock, TV>(x, c);
        Tile<T, TOps, TBlock, TV>.Store(x, _output, row, c);
        return default;
    }
}

/// <summary>
/// The math of a rows → rows backward pass dx = f(y, dy) from a forward's output y and its gradient dy (softmax,
/// log-softmax), nothing else: <see cref="RowGradientOp{T, TGradient}"/> is the row op around it.
/// </summary>
internal interface IRowGradient<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>dx = f(y, dy) for one row of <paramref name="c"/> elements; dx may be dy itself (load before store).</summary>
    static abstract void Row<TOps, TV>(ref readonly T y, ref readonly T dy, ref T dx, int c)
        where TOps : ISimd<TV, T>
        where TV : struct;

    /// <summary>The same for a block of rows in two tiles (lane j = row j); dx is written into the tile of y.</summary>
    static abstract void Block<TOps, TBlock, TV>(Span<TV> y, Span<TV> dy, int c)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct;
}

/// <summary>The row op of an <see cref="IRowGradient{T}"/>: rows of <c>output</c> and <c>outputGradient</c> → rows of <c>inputGradient</c>.</summary>
internal readonly unsafe struct RowGradientOp<T, TGradient>(T* output, T* outputGradient, T* inputGradient, int classCount) : IPinnedOp<T, RowGradientOp<T, TGradient>>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TGradient : struct, IRowGradient<T>
{
    public RowGradientOp<T, TGradient> On(T* first, T* second, T* third, int classCount) => new(first, second, third, classCount);

    private readonly T* _output = output;
    private readonly T* _outputGradient = outputGradient;
    private readonly T* _inputGradient = inputGradient;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        TGradient.Row<TOps, TV>(in Batch<T>.Row(_output, row, c), in Batch<T>.Row(_outputGradient, row, c), ref Batch<T>.Row(_inputGradient, row, c), c);
        return T.Zero;
    }

    public static bool HasBlock => true;

    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = _classCount;
        Span<TV> y = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, _output, row, c);
        Span<TV> dy = Tile<T, TOps, TBlock, TV>.Load(scratch, 1, _outputGradient, row, c);
        TGradient.Block<TOps, TBlock, TV>(y, dy, c);
        Tile<T, TOps, TBlock, TV>.Store(y, _inputGradient, row, c);
        return default;
    }
}
