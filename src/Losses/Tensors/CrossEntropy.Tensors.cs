using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class CrossEntropy
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        ReadOnlySpan<T> weight = default, int ignoreIndex = -100, double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits), out int classCount), TensorRows.Read(targets, nameof(targets)),
            classCount, TensorRows.Write(gradient, nameof(gradient)), reduction,
            TensorRows.Write(losses, nameof(losses)), weight, ignoreIndex, labelSmoothing, zLoss: zLoss, softCap: softCap, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, long, double, double, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, long, double, double, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        ReadOnlySpan<T> weight = default, long ignoreIndex = -100, double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits), out int classCount), TensorRows.Read(targets, nameof(targets)),
            classCount, TensorRows.Write(gradient, nameof(gradient)), reduction,
            TensorRows.Write(losses, nameof(losses)), weight, ignoreIndex, labelSmoothing, zLoss: zLoss, softCap: softCap, maxDegreeOfParallelism: maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="ForwardWithProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="ForwardWithProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T ForwardWithProbabilities<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<T> probabilities,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        ReadOnlySpan<T> weight = default, double labelSmoothing = 0, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardWithProbabilities(TensorRows.Read(logits, nameof(logits), out int classCount),
            TensorRows.Read(probabilities, nameof(probabilities)), classCount,
            TensorRows.Write(gradient, nameof(gradient)), reduction, TensorRows.Write(losses, nameof(losses)), weight,
            labelSmoothing, maxDegreeOfParallelism);
}
