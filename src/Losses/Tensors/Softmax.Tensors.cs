using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class Softmax
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in TensorSpan<T> destination,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits), out int classCount),
            TensorRows.Write(destination, nameof(destination)), classCount, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> output, in ReadOnlyTensorSpan<T> outputGradient,
        in TensorSpan<T> inputGradient, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(TensorRows.Read(output, nameof(output), out int classCount),
            TensorRows.Read(outputGradient, nameof(outputGradient)),
            TensorRows.Write(inputGradient, nameof(inputGradient)), classCount, maxDegreeOfParallelism);
}
