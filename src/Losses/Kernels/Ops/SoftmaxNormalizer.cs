using System.Numerics;

namespace Losses.Kernels;

/// <summary>The online normalizer (max, Σ exp(x − max)) of one row (<see cref="SoftmaxNormalizer.Of{T}(ReadOnlySpan{T})"/>).</summary>
internal readonly unsafe struct SoftmaxNormalizerOp<T>(T* logits, int length, T* max, T* sumOfExp) : IRowOp<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T* _logits = logits;
    private readonly int _length = length;
    private readonly T* _max = max;
    private readonly T* _sumOfExp = sumOfExp;

    public T Row<TOps, TV>(int row)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        var normalizer = Rows<TOps, TV, T>.Normalizer(in Batch<T>.Row(_logits, row, _length), _length);
        *_max = normalizer.Max;
        *_sumOfExp = normalizer.SumOfExp;
        return T.Zero;
    }
}
