using System.Numerics;

namespace Losses.Kernels;

/// <summary>log-softmax(x) = (x − max) − log Σ exp(x − max) per row (<see cref="LogSoftmax.Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly unsafe struct LogSoftmaxOp<T>(T* logits, T* destination, int classCount) : IPinnedOp<T, LogSoftmaxOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public LogSoftmaxOp<T> On(T* first, T* second, T* third, int classCount) => new(first, second, classCount);

    private readonly T* _logits = logits;
    private readonly T* _destination = destination;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        ref T x = ref Batch<T>.Row(_logits, row, c);
        var normalizer = Rows<TOps, TV, T>.Normalizer(in x, c);
        Rows<TOps, TV, T>.Map(in x, ref Batch<T>.Row(_destination, row, c), c,
            new ElementOps<TOps, TV, T>.SubtractTwice(TOps.Create(normalizer.Max), TOps.Create(T.Log(normalizer.SumOfExp))));
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
        TV max = Tile<T, TOps, TBlock, TV>.Max(x, c);
        TV logSum = VectorMath<TOps, TV, T>.Log(Tile<T, TOps, TBlock, TV>.SumOfExpTerms(x, max, c));
        Tile<T, TOps, TBlock, TV>.Map(x, c, new ElementOps<TOps, TV, T>.SubtractTwice(max, logSum));
        Tile<T, TOps, TBlock, TV>.Store(x, _destination, row, c);
        return default;
    }
}

/// <summary>dx = dy − exp(output) · Σ dy per row (<see cref="LogSoftmax.Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>).</summary>
internal readonly unsafe struct LogSoftmaxBackwardOp<T>(T* output, T* outputGradient, T* inputGradient, int classCount) : IPinnedOp<T, LogSoftmaxBackwardOp<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public LogSoftmaxBackwardOp<T> On(T* first, T* second, T* third, int classCount) => new(first, second, third, classCount);

    private readonly T* _output = output;
    private readonly T* _outputGradient = outputGradient;
    private readonly T* _inputGradient = inputGradient;
    private readonly int _classCount = classCount;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        int c = _classCount;
        ref T dy = ref Batch<T>.Row(_outputGradient, row, c);
        T sum = Rows<TOps, TV, T>.Sum(in dy, c);
        Rows<TOps, TV, T>.Map(in Batch<T>.Row(_output, row, c), in dy, ref Batch<T>.Row(_inputGradient, row, c), c, new ElementOps<TOps, TV, T>.LogSoftmaxVjp(TOps.Create(sum)));
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
        Tile<T, TOps, TBlock, TV>.Map(y, dy, c, new ElementOps<TOps, TV, T>.LogSoftmaxVjp(Tile<T, TOps, TBlock, TV>.Sum(dy, c)));
        Tile<T, TOps, TBlock, TV>.Store(y, _inputGradient, row, c);
        return default;
    }
}
