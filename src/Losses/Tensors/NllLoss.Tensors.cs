using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class NllLoss
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> logProbabilities, in ReadOnlyTensorSpan<int> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        ReadOnlySpan<T> weight = default, int ignoreIndex = -100, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logProbabilities, nameof(logProbabilities), out int classCount),
            TensorRows.Read(targets, nameof(targets)), classCount, TensorRows.Write(gradient, nameof(gradient)),
            reduction, TensorRows.Write(losses, nameof(losses)), weight, ignoreIndex, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, long, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, long, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> logProbabilities, in ReadOnlyTensorSpan<long> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        ReadOnlySpan<T> weight = default, long ignoreIndex = -100, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logProbabilities, nameof(logProbabilities), out int classCount),
            TensorRows.Read(targets, nameof(targets)), classCount, TensorRows.Write(gradient, nameof(gradient)),
            reduction, TensorRows.Write(losses, nameof(losses)), weight, ignoreIndex, maxDegreeOfParallelism);
}
