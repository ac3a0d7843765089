using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class BinaryCrossEntropy
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int)"/>.<include file="TensorForms.xml" path="doc/elementwise/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> probabilities, in ReadOnlyTensorSpan<T> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        in ReadOnlyTensorSpan<T> weight = default, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(probabilities, nameof(probabilities)), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Write(gradient, nameof(gradient)), reduction, TensorRows.Write(losses, nameof(losses)),
            TensorRows.Read(weight, nameof(weight)), maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="ForwardWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int)"/>.<include file="TensorForms.xml" path="doc/elementwise/para"/></summary>
    /// <inheritdoc cref="ForwardWithLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T ForwardWithLogits<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<T> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        in ReadOnlyTensorSpan<T> weight = default, ReadOnlySpan<T> posWeight = default, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ForwardWithLogits(TensorRows.Read(logits, nameof(logits)), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Write(gradient, nameof(gradient)), reduction, TensorRows.Write(losses, nameof(losses)),
            TensorRows.Read(weight, nameof(weight)), posWeight, maxDegreeOfParallelism);
}
