using System.Numerics;

namespace Losses;

// Int64 targets: PyTorch's class-index dtype, so TorchSharp and ONNX users need not copy their targets.
public static partial class NllLoss
{
    /// <summary>
    /// <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, int)"/>
    /// with int64 class indices (PyTorch's <c>torch.long</c> targets); the result is bitwise the same as with the same
    /// targets as int32. The targets are checked, then narrowed into a pooled buffer (no allocation once the pool is warm).
    /// </summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, int)"/>
    public static T Forward<T>(ReadOnlySpan<T> logProbabilities, ReadOnlySpan<long> targets, int classCount, Span<T> gradient = default,
        Reduction reduction = Reduction.Mean, Span<T> losses = default, ReadOnlySpan<T> weight = default, long ignoreIndex = -100,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.Rows(logProbabilities.Length, classCount, nameof(logProbabilities));
        using var narrowed = new NarrowedTargets(targets, classCount, ignoreIndex, nameof(targets));
        return Forward(logProbabilities, narrowed.Targets, classCount, gradient, reduction, losses, weight, narrowed.IgnoreIndex, maxDegreeOfParallelism);
    }
}
