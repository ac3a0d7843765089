using System.Numerics;

namespace Losses.Kernels;

/// <summary>log Σ exp(x) per row, one value per row (<see cref="LogSumExp.Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly unsafe struct LogSumExpOp<T>(T* logits, int classCount) : IPinnedOp<T, LogSumExpOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public LogSumExpOp<T> On(T* first, T* second, T* third, int classCount) => new(first, classCount);

    private readonly T* _logits = logits;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        ref T x = ref Batch<T>.Row(_logits, row, _classCount);
        T result = Rows<TOps, TV, T>.Normalizer(in x, _classCount).LogSumExp;

        // The normalizer may let +∞ win over a NaN; a NaN anywhere gives NaN (as PyTorch).
        return T.IsPositiveInfinity(result) && T.IsNaN(Rows<TOps, TV, T>.Max(in x, _classCount)) ? T.NaN : result;
    }

    public static bool HasBlock => true;

    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = _classCount;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, _logits, row, c);
        TV max = TOps.Create(FloatLimits<T>.MinValue);
        TV nan = default;
        for (int k = 0; k < c; k++)
        {
            max = TOps.MaxFast(max, x[k]);
            nan = TOps.Or(nan, VectorMath<TOps, TV, T>.IsNaN(x[k]));
        }
        var sum = new LaneSum<TOps, TV, T>();
        for (int k = 0; k < c; k++)
        {
            sum.Add(VectorMath<TOps, TV, T>.ExpTermFlushed(TOps.Subtract(x[k], max)));
        }
        TV infinity = TOps.Create(T.PositiveInfinity);
        TV lse = TOps.Add(max, VectorMath<TOps, TV, T>.Log(sum.Current));

        // As the row path: a +∞ logit gives +∞, a NaN anywhere gives NaN.
        lse = TOps.Select(TOps.Equal(max, infinity), infinity, lse);
        return TOps.Select(nan, TOps.Create(T.NaN), lse);
    }
}

/// <summary>dx = dy_row · exp(x − output_row) (<see cref="LogSumExp.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly unsafe struct LogSumExpBackwardOp<T>(T* logits, T* output, T* outputGradient, T* inputGradient, int classCount) : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T* _logits = logits;
    private readonly T* _output = output;
    private readonly T* _outputGradient = outputGradient;
    private readonly T* _inputGradient = inputGradient;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        Rows<TOps, TV, T>.Map(in Batch<T>.Row(_logits, row, c), ref Batch<T>.Row(_inputGradient, row, c), c,
            new ElementOps<TOps, TV, T>.ExpShiftScale(_output[row], _outputGradient[row]));
        return T.Zero;
    }

    public static bool HasBlock => true;

    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = _classCount;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, _logits, row, c);
        Tile<T, TOps, TBlock, TV>.Map(x, c, new ElementOps<TOps, TV, T>.ExpShiftScale(TOps.Load(in *_output, (nuint)row), TOps.Load(in *_outputGradient, (nuint)row)));
        Tile<T, TOps, TBlock, TV>.Store(x, _inputGradient, row, c);
        return default;
    }
}
