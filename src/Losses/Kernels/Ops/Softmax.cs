using System.Numerics;

namespace Losses.Kernels;

/// <summary>softmax(x) = exp(x − max x) / Σ exp(x − max x) per row (<see cref="Softmax.Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly unsafe struct SoftmaxOp<T>(T* logits, T* probabilities, int classCount) : IPinnedOp<T, SoftmaxOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public SoftmaxOp<T> On(T* first, T* second, T* third, int classCount) => new(first, second, classCount);

    private readonly T* _logits = logits;
    private readonly T* _probabilities = probabilities;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        ref T x = ref Batch<T>.Row(_logits, row, c);
        ref T y = ref Batch<T>.Row(_probabilities, row, c);
        if (c <= 2 * TOps.Count)
        {
            Rows<TOps, TV, T>.ShortSoftmax(in x, ref y, c);
            return T.Zero;
        }
        T max = Rows<TOps, TV, T>.ShiftMax(in x, c);
        T sum = Rows<TOps, TV, T>.MapSum(in x, ref y, c, new ElementOps<TOps, TV, T>.ExpShift(max), prefetchNextRow: true);
        Rows<TOps, TV, T>.Map(in y, ref y, c, new ElementOps<TOps, TV, T>.Scale(T.One / sum));
        return T.Zero;
    }

    public static bool HasBlock => true;

    /// <summary>One exp per element: the exps stay in the tile, then one scale.</summary>
    public TV Block<TOps, TBlock, TV>(int row, Span<TV> scratch)
        where TOps : ISimd<TV, T>
        where TBlock : IBlockOps<TV, T>
        where TV : struct
    {
        int c = _classCount;
        Span<TV> x = Tile<T, TOps, TBlock, TV>.Load(scratch, 0, _logits, row, c);
        TV sum = Tile<T, TOps, TBlock, TV>.StoreExpShift(x, Tile<T, TOps, TBlock, TV>.Max(x, c), c);
        Tile<T, TOps, TBlock, TV>.Map(x, c, new ElementOps<TOps, TV, T>.Scale(TOps.Divide(TOps.Create(T.One), sum)));
        Tile<T, TOps, TBlock, TV>.Store(x, _probabilities, row, c);
        return default;
    }
}

/// <summary>dx = y ⊙ (dy − ⟨y, dy⟩) per row (<see cref="Softmax.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly unsafe struct SoftmaxBackwardOp<T>(T* output, T* outputGradient, T* inputGradient, int classCount) : IPinnedOp<T, SoftmaxBackwardOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public SoftmaxBackwardOp<T> On(T* first, T* second, T* third, int classCount) => new(first, second, third, classCount);

    private readonly T* _output = output;
    private readonly T* _outputGradient = outputGradient;
    private readonly T* _inputGradient = inputGradient;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        ref T y = ref Batch<T>.Row(_output, row, c);
        ref T dy = ref Batch<T>.Row(_outputGradient, row, c);
        T dot = Rows<TOps, TV, T>.Dot(in y, in dy, c);
        Rows<TOps, TV, T>.Map(in y, in dy, ref Batch<T>.Row(_inputGradient, row, c), c, new ElementOps<TOps, TV, T>.SoftmaxVjp(TOps.Create(dot)));
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
        Tile<T, TOps, TBlock, TV>.Map(y, dy, c, new ElementOps<TOps, TV, T>.SoftmaxVjp(Tile<T, TOps, TBlock, TV>.Dot(y, dy, c)));
        Tile<T, TOps, TBlock, TV>.Store(y, _inputGradient, row, c);
        return default;
    }
}
