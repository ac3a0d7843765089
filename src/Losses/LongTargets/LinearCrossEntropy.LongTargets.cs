using System.Numerics;

namespace Losses;

// Int64 targets: PyTorch's class-index dtype, so TorchSharp and ONNX users need not copy their targets.
public static partial class LinearCrossEntropy
{
    /// <summary>
    /// <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, int, int, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int, int)"/>
    /// with int64 class indices (PyTorch's <c>torch.long</c> targets); the result is bitwise the same as with the same
    /// targets as int32. The targets are checked, then narrowed into a pooled buffer (no allocation once the pool is warm).
    /// </summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, int, int, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int, int)"/>
    public static T Forward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<long> targets, int hiddenSize, int classCount,
        ReadOnlySpan<T> linearBias = default, Span<T> hiddenGradient = default, Span<T> linearWeightGradient = default,
        Span<T> linearBiasGradient = default, Reduction reduction = Reduction.Mean, Span<T> losses = default,
        ReadOnlySpan<T> weight = default, long ignoreIndex = -100, double labelSmoothing = 0, double zLoss = 0,
        double softCap = double.PositiveInfinity, int maxBufferElements = DefaultMaxBufferElements, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        using var narrowed = new NarrowedTargets(targets, classCount, ignoreIndex, nameof(targets));
        return Forward(hidden, linearWeight, narrowed.Targets, hiddenSize, classCount, linearBias, hiddenGradient, linearWeightGradient,
            linearBiasGradient, reduction, losses, weight, narrowed.IgnoreIndex, labelSmoothing, zLoss: zLoss, softCap: softCap,
            maxBufferElements: maxBufferElements, maxDegreeOfParallelism: maxDegreeOfParallelism);
    }
}
